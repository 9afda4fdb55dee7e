// Test helpers: the real azure-devops-node-api client against an emulator, and git on the side.
import { execFile, execFileSync } from 'node:child_process';
import * as azdev from 'azure-devops-node-api';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import { isolatedGitEnv } from './git';
import type { DevOpsEmulator } from './index';

export async function gitApi(emulator: DevOpsEmulator, kind: 'bearer' | 'pat' = 'bearer', token = emulator.token): Promise<GitApi> {
  const handler = kind === 'bearer' ? azdev.getBearerHandler(token) : azdev.getPersonalAccessTokenHandler(token);
  const connection = new azdev.WebApi(emulator.url, handler, { allowRetries: false, socketTimeout: 20_000 });
  return connection.getGitApi();
}

/** git on a bare repository of the emulator (to check history independently of the REST API). */
export function gitIn(gitDir: string, ...args: string[]): string {
  return execFileSync('git', args, { env: isolatedGitEnv({ GIT_DIR: gitDir }), encoding: 'utf8', timeout: 20_000 }).trim();
}

/**
 * git in a working folder, authenticated with the emulator's token as a PAT. Asynchronous: the
 * emulator serves from this same process, so a synchronous child would block it.
 */
export function gitWork(cwd: string, token: string, ...args: string[]): Promise<string> {
  const auth = Buffer.from(`pat:${token}`).toString('base64');
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', `http.extraHeader=Authorization: Basic ${auth}`, '-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args],
      { cwd, env: isolatedGitEnv({ HOME: cwd }), encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`git ${args[0]} failed: ${stderr || error.message}`)) : resolve(stdout.trim())),
    );
  });
}

export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** The client's rejection for a non-2xx answer: statusCode and the parsed error body. */
export async function rejection(
  p: Promise<unknown>,
): Promise<{ statusCode: number; result: { typeKey?: string; message?: string }; responseHeaders: Record<string, string>; message: string; code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

export const ZERO = '0000000000000000000000000000000000000000';
