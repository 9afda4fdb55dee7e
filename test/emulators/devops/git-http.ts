// Smart HTTP (clone, fetch, push) through `git http-backend` as a CGI program.
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { isolatedGitEnv } from './git';

export function serveGitHttp(req: IncomingMessage, res: ServerResponse, gitDir: string, subPath: string, query: string, user: string): Promise<void> {
  return new Promise((resolve) => {
    const env = isolatedGitEnv({
      GIT_PROJECT_ROOT: path.dirname(gitDir),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${path.basename(gitDir)}${subPath}`,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: query,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: String(req.headers['content-length']) } : {}),
    });
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let headerDone = false;
    let buffered = Buffer.alloc(0);
    const stderr: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) {
        res.write(chunk);
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      const endLf = buffered.indexOf('\n\n');
      const split = end >= 0 ? end : endLf;
      if (split < 0) return;
      const sepLen = end >= 0 ? 4 : 2;
      const head = buffered.subarray(0, split).toString('latin1');
      let status = 200;
      for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200;
        else res.setHeader(key, value);
      }
      res.statusCode = status;
      headerDone = true;
      const rest = buffered.subarray(split + sepLen);
      if (rest.length) res.write(rest);
    });
    child.on('close', (code) => {
      if (!headerDone) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain');
        res.write(`git http-backend failed (${code}): ${Buffer.concat(stderr).toString()}`);
      }
      res.end();
      resolve();
    });
    child.on('error', () => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
      resolve();
    });
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
  });
}
