// Bulk data and concurrency between our client and our server (one component instance, one
// worker): 8 MiB byte-exact in both directions, flow control with a reader that stops, 50
// concurrent echo connections, and the main thread's timers firing all along.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../lib/index.js';
import { closeServer, echoServer, listen, readAll, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;
const MiB = 1024 * 1024;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Counts the ticks of a 1 ms interval while `fn` runs: the main thread must stay responsive. */
async function countTicks(fn) {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  const started = performance.now();
  try {
    const result = await fn();
    return { result, ticks, ms: performance.now() - started };
  } finally {
    clearInterval(interval);
  }
}

/** Writes `data` in 64 KiB chunks, respecting backpressure, then ends. */
async function writeAll(socket, data) {
  for (let offset = 0; offset < data.length; offset += 64 * 1024) {
    if (!socket.write(data.subarray(offset, offset + 64 * 1024))) await once(socket, 'drain');
  }
  socket.end();
}

/** Checks that a 1 ms interval fired at a reasonable rate during `ms` (it may be coarse). */
function assertResponsive(ticks, ms, what) {
  assert.ok(ticks >= ms / 20, `${what}: only ${ticks} timer ticks in ${ms.toFixed(0)} ms`);
}

test('8 MiB client -> server, byte-exact (sha256), main thread responsive', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const data = randomBytes(8 * MiB);
  let received;
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    received = readAll(socket);
  });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  const { result: bytes, ticks, ms } = await countTicks(async () => {
    await once(client, 'secureConnect');
    await writeAll(client, data);
    return received; // complete once the server has read everything and the end
  });
  assert.equal(bytes.length, data.length);
  assert.equal(sha256(bytes), sha256(data));
  assert.equal(client.bytesWritten, data.length);
  t.diagnostic(`upload 8 MiB in ${ms.toFixed(0)} ms (${(8 / (ms / 1000)).toFixed(1)} MiB/s), ${ticks} timer ticks`);
  assertResponsive(ticks, ms, 'upload');
  await closeServer(server);
});

test('8 MiB server -> client, byte-exact (sha256), main thread responsive', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const data = randomBytes(8 * MiB);
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    socket.on('error', () => {});
    writeAll(socket, data);
  });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  const { result: bytes, ticks, ms } = await countTicks(() => readAll(client));
  assert.equal(bytes.length, data.length);
  assert.equal(sha256(bytes), sha256(data));
  assert.equal(client.bytesRead, data.length);
  t.diagnostic(`download 8 MiB in ${ms.toFixed(0)} ms (${(8 / (ms / 1000)).toFixed(1)} MiB/s), ${ticks} timer ticks`);
  assertResponsive(ticks, ms, 'download');
  await closeServer(server);
});

test('flow control: a reader that stops holds the writer back, nothing buffers without bound', async (t) => {
  if (!needTools(t, 'openssl')) return;
  // Twice the bound below: what the kernel's loopback buffers take (they grow with the
  // transfer) and the package's own bounded buffers stayed near 6 MiB here, far from all of it.
  const data = randomBytes(32 * MiB);
  let serverSocket;
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    serverSocket = socket;
    socket.on('error', () => {});
    writeAll(socket, data);
  });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  client.pause(); // read nothing for a while
  await sleep(1500);
  // Sent so far: what the writer's callbacks confirmed; it must be far from everything.
  const sent = serverSocket.bytesWritten;
  const buffered = client.readableLength;
  t.diagnostic(`while paused: ${(sent / MiB).toFixed(2)} MiB handed to the component, ${(buffered / MiB).toFixed(2)} MiB in the reader's buffer`);
  assert.ok(sent < 20 * MiB, `the writer was held back (sent ${sent})`);
  assert.ok(buffered < 2 * MiB, `the reader's buffer stayed bounded (${buffered})`);
  client.resume();
  const bytes = await readAll(client);
  assert.equal(sha256(bytes), sha256(data));
  await closeServer(server);
});

test('50 concurrent clients, each echo verified', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const { result: outcomes, ticks, ms } = await countTicks(() => Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const message = Buffer.concat([Buffer.from(`client ${i}:`), randomBytes(1000 + i * 100)]);
    const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
    await once(client, 'secureConnect');
    // Read the whole echo, then end: end() closes both directions (no TLS half-close).
    const chunks = [];
    let length = 0;
    client.write(message);
    while (length < message.length) {
      const [chunk] = await once(client, 'data');
      chunks.push(chunk);
      length += chunk.length;
    }
    client.end();
    await whenClosed(client);
    return Buffer.concat(chunks).equals(message);
  })));
  assert.deepEqual(outcomes, Array(50).fill(true));
  t.diagnostic(`50 handshakes + echoes in ${ms.toFixed(0)} ms, ${ticks} timer ticks`);
  assertResponsive(ticks, ms, '50 clients');
  await closeServer(server);
});

test('request / response latency on an open connection', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  const rounds = 50;
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    client.write(`ping ${i}`);
    await once(client, 'data');
    times.push(performance.now() - started);
    if (i % 10 === 0) await sleep(100); // let the loop go idle now and then
  }
  times.sort((a, b) => a - b);
  t.diagnostic(`round trip: median ${times[rounds >> 1].toFixed(2)} ms, max ${times.at(-1).toFixed(2)} ms`);
  assert.ok(times[rounds >> 1] < 100, 'round trips are not stuck behind long waits');
  client.destroy();
  await closeServer(server);
});
