'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const {
  readConfig, encodeCommand, parseReply, expandTemplate, renderPage, RedisClient, createApp,
} = require('../server.js');

test('encodeCommand writes a RESP array of bulk strings', () => {
  assert.equal(encodeCommand(['INCR', 'votes:Cats']), '*2\r\n$4\r\nINCR\r\n$10\r\nvotes:Cats\r\n');
});

test('parseReply reads simple, integer, bulk, null and array replies', () => {
  assert.deepEqual(parseReply(Buffer.from('+PONG\r\n')), { value: 'PONG', next: 7 });
  assert.equal(parseReply(Buffer.from(':42\r\n')).value, 42);
  assert.equal(parseReply(Buffer.from('$3\r\nabc\r\n')).value, 'abc');
  assert.equal(parseReply(Buffer.from('$-1\r\n')).value, null);
  assert.deepEqual(parseReply(Buffer.from('*2\r\n$1\r\n5\r\n$-1\r\n')).value, ['5', null]);
  assert.ok(parseReply(Buffer.from('-ERR boom\r\n')).value instanceof Error);
});

test('parseReply waits for incomplete replies', () => {
  assert.equal(parseReply(Buffer.from('$5\r\nab')), null);
  assert.equal(parseReply(Buffer.from('*2\r\n$1\r\n5\r\n')), null);
});

test('expandTemplate fills ${NAME} from the environment at runtime', () => {
  assert.equal(expandTemplate('pod ${HOSTNAME} in ${MISSING}', { HOSTNAME: 'web-1' }), 'pod web-1 in ');
});

test('renderPage escapes user-visible values', () => {
  const html = renderPage({ title: '<Vote>', choices: ['Cats', 'Dogs'], counts: [1, 2], footer: 'a&b' });
  assert.match(html, /<h1>&lt;Vote&gt;<\/h1>/);
  assert.match(html, /Cats - 1 \| Dogs - 2/);
  assert.match(html, /<footer>a&amp;b<\/footer>/);
});

test('readConfig applies defaults', () => {
  const c = readConfig({});
  assert.equal(c.port, 8080);
  assert.deepEqual(c.choices, ['Cats', 'Dogs']);
});

// A fake Redis that answers PING, MGET and INCR from an in-memory map.
function fakeRedis() {
  const data = new Map();
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let cmd;
      while ((cmd = parseReply(buf))) {
        buf = buf.subarray(cmd.next);
        const [name, ...args] = cmd.value;
        if (name === 'PING') socket.write('+PONG\r\n');
        else if (name === 'INCR') {
          data.set(args[0], (data.get(args[0]) || 0) + 1);
          socket.write(`:${data.get(args[0])}\r\n`);
        } else if (name === 'MGET') {
          socket.write(`*${args.length}\r\n`);
          for (const k of args) {
            const v = data.has(k) ? String(data.get(k)) : null;
            socket.write(v === null ? '$-1\r\n' : `$${v.length}\r\n${v}\r\n`);
          }
        } else socket.write('-ERR unknown command\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('the app serves health, readiness and votes', async () => {
  const redisServer = await fakeRedis();
  const config = readConfig({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisServer.address().port), LOG_LEVEL: 'error' });
  const redis = new RedisClient(config.redisHost, config.redisPort);
  const app = createApp(config, redis);
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${app.address().port}`;
  try {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const post = await fetch(`${base}/`, {
      method: 'POST',
      body: new URLSearchParams({ vote: 'Cats' }),
      redirect: 'manual',
    });
    assert.equal(post.status, 303);
    assert.match(await (await fetch(`${base}/`)).text(), /Cats - 1 \| Dogs - 0/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    redis.close();
    await new Promise((resolve) => app.close(resolve));
    await new Promise((resolve) => redisServer.close(resolve));
  }
});
