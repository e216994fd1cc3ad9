// 1,000 echo connections through the package with two workers (lib/engine-pool.js): every byte
// comes back exact, the clients are spread over both workers, and memory stays bounded.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { configure, connect } from '../lib/index.js';
import { closeServer, echoServer, readBytes } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;
const CONNECTIONS = 1_000;
const CONCURRENT = 50;
const PAYLOAD = 16 * 1024;
const MiB = 1024 * 1024;

/** One connection: 16 KiB of random bytes out, the same bytes back, then a clean end. */
async function echoRound(port, threads) {
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  threads.add(client._engine.threadId);
  const data = randomBytes(PAYLOAD);
  client.write(data);
  const back = await readBytes(client, data.length);
  assert.ok(back.equals(data), 'the echo differs from what was sent');
  client.end();
  await once(client, 'close');
}

test(`${CONNECTIONS} echo connections over two workers: byte-exact, memory bounded`, { timeout: 600_000 }, async (t) => {
  if (!needTools(t, 'openssl')) return;
  configure({ workers: 2 });
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  t.after(() => closeServer(server));
  const threads = new Set();
  let rssAfterWarmUp = 0;
  let done = 0;
  while (done < CONNECTIONS) {
    const batch = Math.min(CONCURRENT, CONNECTIONS - done);
    await Promise.all(Array.from({ length: batch }, () => echoRound(port, threads)));
    done += batch;
    if (done === 2 * CONCURRENT) rssAfterWarmUp = process.memoryUsage().rss;
  }
  const growth = process.memoryUsage().rss - rssAfterWarmUp;
  assert.ok(growth < 128 * MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB over ${CONNECTIONS - 2 * CONCURRENT} connections`);
  // The server took the first worker; clients go to the least loaded one, so both carry some.
  assert.ok(threads.size === 2, `clients ran on ${threads.size} worker(s)`);
  // Every server-side socket closes too (its 'close' follows the client's by a notice or two).
  const connections = () => new Promise((resolve) => server.getConnections((_, count) => resolve(count)));
  for (let waited = 0; (await connections()) > 0 && waited < 5_000; waited += 10) await sleep(10);
  assert.equal(await connections(), 0);
});
