/**
 * A web proxy for tests, as a corporate one works: HTTPS goes through CONNECT tunnels, with basic
 * proxy authentication when `auth` is given (407 otherwise). Every CONNECT is counted with its
 * target and whether it carried the right credentials. Hosts that `intercept` names are not
 * tunnelled to the internet: the proxy answers the CONNECT itself, terminates TLS with a test CA's
 * certificate (as a TLS-inspecting proxy does) and forwards each request to a local server chosen
 * by its path (ACR's /oauth2/* to the exchange double, /v2/* to the real registry), recording
 * method, host, path and Authorization. Any other target is tunnelled to host:port as asked.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { createSelfSignedCertificate } from '../emulators/arm/certificate';

export interface ProxyConnect {
  /** host:port of the CONNECT request. */
  target: string;
  /** The Proxy-Authorization matched `auth` (always true without `auth`). */
  authorized: boolean;
}

export interface InterceptedRequest {
  host: string;
  method: string;
  path: string;
  /** The Authorization header as the client sent it. */
  authorization?: string;
  /** The status the local server answered. */
  status?: number;
}

export interface ConnectProxyOptions {
  auth?: { username: string; password: string };
  intercept?: {
    /** Host names (without port) whose TLS the proxy terminates. */
    hosts: (host: string) => boolean;
    certPem: string;
    keyPem: string;
    /** The local base URL (http://127.0.0.1:port, or https:// trusted through `upstreamCa`) that serves a path, or undefined for 404. */
    route: (path: string, host: string) => string | undefined;
    upstreamCa?: string;
  };
}

export interface ConnectProxy {
  /** http://127.0.0.1:<port> (no credentials). */
  url: string;
  connects: ProxyConnect[];
  requests: InterceptedRequest[];
  stop(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const connects: ProxyConnect[] = [];
  const requests: InterceptedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const expected = options.auth ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` : undefined;

  // Requests that arrive inside an intercepted tunnel, after TLS.
  const front = http.createServer((req, res) => {
    const record: InterceptedRequest = {
      host: (req.headers.host ?? '').replace(/:443$/, ''),
      method: req.method ?? '',
      path: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    requests.push(record);
    const base = options.intercept?.route(record.path, record.host);
    if (!base) {
      record.status = 404;
      res.writeHead(404).end('no route in the test proxy');
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.includes(name.toLowerCase())));
    const target = new URL(record.path, base);
    const send = target.protocol === 'https:' ? https.request : http.request;
    // An https upstream is verified by its own name (Node takes the Host header for it otherwise).
    if (target.protocol === 'https:') headers.host = target.host;
    const upstream = send(target, { method: req.method, headers, ...(options.intercept?.upstreamCa ? { ca: options.intercept.upstreamCa } : {}) }, (answer) => {
      record.status = answer.statusCode;
      const back = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.includes(name.toLowerCase())));
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      record.status = 502;
      res.writeHead(502).end(err.message);
    });
    req.pipe(upstream);
  });

  const server = http.createServer((_req, res) => res.writeHead(501).end('this test proxy only tunnels (CONNECT)'));
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const authorized = expected === undefined || req.headers['proxy-authorization'] === expected;
    connects.push({ target, authorized });
    socket.on('error', () => socket.destroy());
    if (!authorized) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test-proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const separator = target.lastIndexOf(':');
    const host = target.slice(0, separator).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(separator + 1));
    const intercept = options.intercept;
    if (intercept?.hosts(host)) {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) socket.unshift(head);
      const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: tls.createSecureContext({ cert: intercept.certPem, key: intercept.keyPem }) });
      secure.on('error', () => socket.destroy());
      front.emit('connection', secure);
      return;
    }
    const upstream = net.connect(port, host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    socket.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    requests,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      front.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A test CA and a certificate for *.azurecr.io (and `extraNames`) it signed (what a TLS-inspecting proxy shows for ACR). */
export function azurecrCertificates(extraNames: string[] = []): { caPem: string; certPem: string; keyPem: string } {
  const ca = createSelfSignedCertificate({ commonName: 'GitOps Flow test CA', keyType: 'ec' });
  const leaf = createSelfSignedCertificate({
    commonName: '*.azurecr.io',
    dnsNames: ['*.azurecr.io', ...extraNames],
    keyType: 'ec',
    isCa: false,
    issuer: { commonName: 'GitOps Flow test CA', privateKey: ca.privateKey },
  });
  return { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
}
