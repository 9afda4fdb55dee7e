import * as path from 'node:path';
import { runTask, setResourcePath } from '../../../shared/agent/agent';
import { promote } from '../../../shared/workflows/promote';

// task.json sits beside the bundle; the agent runs `node index.js` from the task folder.
const taskJson = path.join(__dirname, 'task.json');
setResourcePath(taskJson);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require(taskJson) as { version: { Major: number; Minor: number; Patch: number } };
void runTask(() => promote(`${version.Major}.${version.Minor}.${version.Patch}`));
