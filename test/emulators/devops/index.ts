// Azure DevOps Git REST API 7.1 emulator backed by real bare git repositories.
// Serves the real azure-devops-node-api client unchanged over HTTP on loopback, plus smart HTTP
// (git clone/fetch/push) at /{org}/{project}/_git/{repo}, plus an admin API.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Admin, DevOpsAdmin, adminHttpHandler } from './admin';
import { endHungRequests, FaultTable } from '../common/faults';
import { DevOpsHttp } from './server';
import { DevOpsService } from './service';

export type { DevOpsAdmin, AdminIdentity, AdminPullRequestResult, AdminWorkItem, BranchPolicySettings } from './admin';
export type { FaultSpec, FaultHandle } from '../common/faults';
export type { RequestRecord } from './server';
export type { PipelineSettings } from './job-tokens';
export type { RecordBuild } from './builds';

export interface DevOpsEmulator {
  /** Collection URL, http://127.0.0.1:<port>/<org> */
  url: string;
  /** Accepted as Bearer and as PAT (basic, any user name). */
  token: string;
  org: string;
  /** http://127.0.0.1:<port>/_admin */
  adminUrl: string;
  admin: DevOpsAdmin;
  /** Closes the server and removes the temporary repositories. */
  stop(): Promise<void>;
}

export interface DevOpsEmulatorOptions {
  org?: string;
  port?: number;
  /** Parent folder for the temporary repositories (a fresh folder is made inside it). */
  dataDir?: string;
  /** Fixed token (default: a random 52-character PAT-like token). */
  token?: string;
}

export async function startDevOpsEmulator(options: DevOpsEmulatorOptions = {}): Promise<DevOpsEmulator> {
  const orgName = options.org ?? 'gitops-org';
  const parent = options.dataDir ?? os.tmpdir();
  await fs.mkdir(parent, { recursive: true });
  const dataDir = await fs.mkdtemp(path.join(parent, 'devops-emulator-'));
  const token = options.token ?? patLikeToken();
  const svc = new DevOpsService(dataDir);
  svc.createOrganization(orgName);
  const faults = new FaultTable();
  const front = new DevOpsHttp(svc, token, faults);
  front.adminHandler = adminHttpHandler(svc, front, faults, orgName);

  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    void front.handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (e) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  svc.origin = `http://127.0.0.1:${port}`;
  const admin = new Admin(svc, front, faults, orgName);
  let stopped = false;
  return {
    url: `${svc.origin}/${orgName}`,
    token,
    org: orgName,
    adminUrl: `${svc.origin}/_admin`,
    admin,
    async stop() {
      if (stopped) return;
      stopped = true;
      endHungRequests(front.hung);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

function patLikeToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(52)].map((b) => alphabet[b % 32]).join('');
}
