// Run by test/worker.test.js in a child process: a listener that throws makes an uncaught
// exception, which node:test would count as a failure of the test that expects it.
//
// Usage: node throwing-listener.mjs CERT KEY CA. A server of ours writes one line to each of
// four clients of ours in the same tick (so their DATA notices tend to share a batch); the first
// client's 'data' listener throws. Prints `{received, thrown}` as JSON: what each client got
// within five seconds, and the messages of the uncaught exceptions.

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, shutdown } from '../../lib/index.js';

const CLIENTS = 4;
const [cert, key, ca] = process.argv.slice(2).map((path) => readFileSync(path, 'utf8'));
const thrown = [];
process.on('uncaughtException', (error) => thrown.push(error.message));

const accepted = [];
const server = createServer({ cert, key }, (socket) => {
  socket.on('error', () => {});
  accepted.push(socket);
  if (accepted.length === CLIENTS) accepted.forEach((each, index) => each.write(`hello ${index}\n`));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');

const received = Array(CLIENTS).fill('');
const clients = [];
for (let index = 0; index < CLIENTS; index++) {
  const client = connect({ host: 'localhost', port: server.address().port, ca });
  client.on('error', () => {});
  client.on('data', (data) => {
    received[index] += data;
    if (index === 0) throw new Error('boom');
  });
  clients.push(client);
}
const deadline = Date.now() + 5_000;
while (Date.now() < deadline && received.some((text) => !text.endsWith('\n'))) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(JSON.stringify({ received, thrown }));
await shutdown();
