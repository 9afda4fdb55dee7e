'use strict';

// Azure Voting App, front end: a small HTTP server that stores votes in Redis.
// No third-party dependencies: it speaks the Redis protocol (RESP) itself.

const http = require('node:http');
const net = require('node:net');

function readConfig(env = process.env) {
  return {
    port: Number(env.PORT || 8080),
    title: env.TITLE || 'Azure Voting App',
    choices: [env.VOTE1VALUE || 'Cats', env.VOTE2VALUE || 'Dogs'],
    redisHost: env.REDIS_HOST || 'localhost',
    redisPort: Number(env.REDIS_PORT || 6379),
    footerTemplate: env.FOOTER_TEMPLATE || '',
    logLevel: env.LOG_LEVEL || 'info',
  };
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };

function createLogger(level) {
  const min = LEVELS[level] ?? LEVELS.info;
  const write = (lvl, msg, fields) => {
    if (LEVELS[lvl] < min) return;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

// ---- Redis protocol -------------------------------------------------------

function encodeCommand(args) {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const s = String(arg);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

// Parses one reply from buf starting at offset. Returns { value, next } or
// null when the buffer does not yet hold a complete reply.
function parseReply(buf, offset = 0) {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new Error(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return null;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected Redis reply type '${type}'`);
  }
}

class RedisClient {
  constructor(host, port, timeoutMs = 2000) {
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.socket = null;
    this.buffer = Buffer.alloc(0);
    this.pending = [];
  }

  connect() {
    if (this.socket) return this.socket;
    const socket = net.createConnection({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.reset(err));
    socket.on('close', () => this.reset(new Error('Redis connection closed')));
    this.socket = socket;
    return socket;
  }

  onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    let reply;
    while (this.pending.length > 0 && (reply = parseReply(this.buffer))) {
      this.buffer = this.buffer.subarray(reply.next);
      const { resolve, reject, timer } = this.pending.shift();
      clearTimeout(timer);
      if (reply.value instanceof Error) reject(reply.value);
      else resolve(reply.value);
    }
  }

  reset(err) {
    if (this.socket) this.socket.destroy();
    this.socket = null;
    this.buffer = Buffer.alloc(0);
    for (const { reject, timer } of this.pending.splice(0)) {
      clearTimeout(timer);
      reject(err);
    }
  }

  command(...args) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.reset(new Error(`Redis command ${args[0]} timed out`)), this.timeoutMs);
      this.pending.push({ resolve, reject, timer });
      this.connect().write(encodeCommand(args));
    });
  }

  close() {
    this.reset(new Error('client closed'));
  }
}

// ---- Rendering ------------------------------------------------------------

// Expands ${NAME} from the pod environment at runtime (the footer template
// comes from the ConfigMap, where it is written as $${NAME} so that deploy-time
// substitution leaves it alone).
function expandTemplate(template, env = process.env) {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => env[name] ?? '');
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function renderPage({ title, choices, counts, footer }) {
  const buttons = choices
    .map((c) => `<button name="vote" value="${escapeHtml(c)}">${escapeHtml(c)}</button>`)
    .join('\n      ');
  const results = choices.map((c, i) => `${escapeHtml(c)} - ${counts[i]}`).join(' | ');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
  <h1>${escapeHtml(title)}</h1>
  <form method="POST" action="/">
      ${buttons}
      <button name="vote" value="reset">Reset</button>
  </form>
  <p id="results">${results}</p>
  <footer>${escapeHtml(footer)}</footer>
</body>
</html>
`;
}

// ---- HTTP -----------------------------------------------------------------

function readBody(req, limit = 4096) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > limit) reject(new Error('request body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function createApp(config, redis, log = createLogger(config.logLevel)) {
  const keys = config.choices.map((c) => `votes:${c}`);

  async function counts() {
    const values = await redis.command('MGET', ...keys);
    return values.map((v) => Number(v || 0));
  }

  async function handle(req, res) {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/healthz') {
      return send(res, 200, 'ok\n');
    }
    if (req.method === 'GET' && path === '/readyz') {
      try {
        await redis.command('PING');
        return send(res, 200, 'ready\n');
      } catch (err) {
        log.warn('redis not reachable', { error: err.message });
        return send(res, 503, 'redis not reachable\n');
      }
    }
    if (path !== '/') return send(res, 404, 'not found\n');
    if (req.method === 'POST') {
      const vote = new URLSearchParams(await readBody(req)).get('vote');
      if (vote === 'reset') await redis.command('DEL', ...keys);
      else if (config.choices.includes(vote)) await redis.command('INCR', `votes:${vote}`);
      else return send(res, 400, 'unknown choice\n');
      log.debug('vote', { vote });
      res.writeHead(303, { Location: '/' });
      return res.end();
    }
    if (req.method !== 'GET') return send(res, 405, 'method not allowed\n');
    const html = renderPage({
      title: config.title,
      choices: config.choices,
      counts: await counts(),
      footer: expandTemplate(config.footerTemplate),
    });
    return send(res, 200, html, 'text/html; charset=utf-8');
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error('request failed', { error: err.message, url: req.url });
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
}

function send(res, status, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function main() {
  const config = readConfig();
  const log = createLogger(config.logLevel);
  const redis = new RedisClient(config.redisHost, config.redisPort);
  const server = createApp(config, redis, log);
  server.listen(config.port, () => log.info('listening', { port: config.port, redis: `${config.redisHost}:${config.redisPort}` }));
  const stop = (signal) => {
    log.info('shutting down', { signal });
    server.close(() => {
      redis.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { readConfig, encodeCommand, parseReply, expandTemplate, renderPage, RedisClient, createApp };

if (require.main === module) main();
