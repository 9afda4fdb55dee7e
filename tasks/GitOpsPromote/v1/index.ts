import * as path from 'node:path';
import { runTask } from '../../../shared/agent/report';
import { createTaskLibAgent } from '../../../shared/agent/task-lib-agent';
import { promote } from '../../../shared/workflows/promote';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';

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
  const inputs = readPromoteInputs(agent);
  return promote(agent, taskVersion(), inputs);
}).finally(() => {
  // The result is reported: a request given up at a deadline (a token endpoint or server that never
  // answered) must not hold the job until its socket times out. Unref'd: a clean run exits at once.
  setTimeout(() => process.exit(), 1000).unref();
});
