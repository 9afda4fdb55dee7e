import * as path from 'node:path';
import { runTask } from '../../../shared/agent/report';
import { createTaskLibAgent } from '../../../shared/agent/task-lib-agent';
import { ciPublish } from '../../../shared/workflows/ci-publish';
import { readCiPublishInputs } from '../../../shared/workflows/ci-publish-inputs';

// task.json sits beside the bundle; the agent runs `node index.js` from the task folder.
const taskJson = path.join(__dirname, 'task.json');
const agent = createTaskLibAgent(taskJson);

/** The task's version, from its task.json: read when the workflow starts (reading the inputs does not need it). */
function taskVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require(taskJson) as { version: { Major: number; Minor: number; Patch: number } };
  return `${version.Major}.${version.Minor}.${version.Patch}`;
}

// The inputs first: the workflow (a lazily loaded part, scripts/lib/lazy-parts.mjs) loads once they are read and checked.
void runTask(agent, () => {
  const inputs = readCiPublishInputs(agent);
  return ciPublish(agent, taskVersion(), inputs);
});
