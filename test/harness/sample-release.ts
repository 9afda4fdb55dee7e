/**
 * The fixtures the GitOpsPromote@1 bundle tests share: the sample app (examples/app) published by
 * the built GitOpsCiPublish@1 as release 20261127.1 (web image 1.5.0), and the sample GitOps
 * repository (examples/gitops) as files to seed the Azure DevOps emulator with.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolsBin } from './process-tools';
import { runBuiltTask, TaskRun } from './task-runner';

const root = process.cwd();
const publishDir = path.join(root, 'dist/tasks/GitOpsCiPublish/v1');

/**
 * Publishes the sample app's Kustomize overlays for dev, stage and prod. The copy of the app is made
 * under `prefix` in the temp folder; the caller removes `appDir` and the run's work folder (`run.folders.work`).
 */
export async function publishSampleRelease(prefix: string): Promise<{ run: TaskRun; bundle: string; appDir: string }> {
  const appDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.join(root, 'examples/app'), appDir, { recursive: true });
  const run = await runBuiltTask({
    taskDir: publishDir,
    inputs: {
      templates: 'deploy/kustomize/overlays/{environment}',
      environments: 'dev,stage,prod',
      valuesFile: 'deploy/environments/{environment}.yaml',
      images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
      tagStrategy: 'fixed',
      tag: '1.5.0',
      appName: 'voting-app',
      dockerfiles: '',
      publishArtifact: 'false',
    },
    variables: {
      'Build.SourcesDirectory': appDir,
      'Build.BuildId': '42',
      'Build.BuildNumber': '20261127.1',
      'Build.SourceVersion': 'a'.repeat(40),
      'Build.SourceBranch': 'refs/heads/main',
      'Build.Repository.Name': 'voting-app',
    },
    env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
  });
  assert.equal(run.result, 'Succeeded', run.stdout);
  return { run, bundle: run.outputs.bundlePath, appDir };
}

/** Every file of examples/gitops, by its path in the repository. */
export function exampleGitOpsFiles(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
      else files[`${rel}${e.name}`] = fs.readFileSync(path.join(dir, e.name));
    }
  };
  walk(path.join(root, 'examples/gitops'), '');
  return files;
}
