// npm run bench: the sslsocket package against node:tls, side by side in one run.
//
//   node scripts/bench.mjs [--mib N] [--handshakes N] [--echoes N] [--idle-ms N] [--json]
//
// For each implementation (the package as it comes, the component in this thread; the package
// with `configure({ workers: 1 })`, a worker thread; and node:tls), one TLS server
// and one client of that implementation in this one process, on 127.0.0.1 (an ECDSA P-256 certificate made with the openssl CLI at start),
// TLS 1.3 with TLS_CHACHA20_POLY1305_SHA256:
// - handshakes/s: full handshakes one after another (connect, 'secureConnect', destroy);
// - MiB/s client -> server and server -> client over one connection, both ends of the
//   implementation, then the implementation's client with a node:tls server (one TLS end in
//   the package: what compares with the Rust host's guest rows of `sslsocket bench`);
// - 1-byte echo: the first right after 'secureConnect', then after 100 ms pauses (p50, p90);
// - idle CPU: the process's CPU time (every thread: the worker and the shim's I/O thread too)
//   over a quiet interval with one connection open and the server listening, in % of one core.
// Rows alternate between the two implementations so that a noisy machine hits both alike.
// Performance figures never go into tests (README: "Benchmarks").

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as nodeTls from 'node:tls';
import { parseArgs } from 'node:util';
import * as sslsocket from '../lib/index.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '16' },
    handshakes: { type: 'string', default: '50' },
    echoes: { type: 'string', default: '20' },
    'idle-ms': { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
});
const MIB = Number(args.mib);
const HANDSHAKES = Number(args.handshakes);
const ECHOES = Number(args.echoes);
const IDLE_MS = Number(args['idle-ms']);
const CIPHER = 'TLS_CHACHA20_POLY1305_SHA256';
const CHUNK = 64 * 1024;

const pki = makePki();
const implementations = [
  { name: 'sslsocket', tls: sslsocket, workers: 0 },
  { name: 'sslsocket workers: 1', tls: sslsocket, workers: 1 },
  { name: 'node:tls', tls: nodeTls },
];
const rows = [];
try {
  rows.push(await compare('full handshakes', 'handshakes/s', handshakesPerSecond));
  rows.push(await compare('bulk client -> server', 'MiB/s', (tls) => bulk(tls, 'upload')));
  rows.push(await compare('bulk server -> client', 'MiB/s', (tls) => bulk(tls, 'download')));
  rows.push(await compare('bulk client -> node:tls server', 'MiB/s', (tls) => bulk(tls, 'upload', nodeTls)));
  rows.push(await compare('bulk node:tls server -> client', 'MiB/s', (tls) => bulk(tls, 'download', nodeTls)));
  const echo = await compareMany(echoLatency);
  rows.push(row('1-byte echo right after connect', 'ms', echo, 'first'));
  rows.push(row('1-byte echo after 100 ms pause, p50', 'ms', echo, 'p50'));
  rows.push(row('1-byte echo after 100 ms pause, p90', 'ms', echo, 'p90'));
  rows.push(await compare('idle CPU, one connection + listening server', '% of a core', idleCpu));
} finally {
  await sslsocket.shutdown();
  rmSync(pki.dir, { recursive: true, force: true });
}
print(rows);

/** Runs `measure` for each implementation (alternating) and returns one table row. */
async function compare(label, unit, measure) {
  const values = await compareMany(async (tls) => ({ value: await measure(tls) }));
  return row(label, unit, values, 'value');
}

/** Runs `measure` for each implementation and returns their results by name. */
async function compareMany(measure) {
  const results = {};
  for (const { name, tls, workers } of implementations) {
    if (workers !== undefined) sslsocket.configure({ workers });
    results[name] = await measure(tls);
  }
  return results;
}

/** One row: each implementation's value, and the package's two over node:tls. */
function row(label, unit, results, key) {
  const [inThread, worker, nodeTls] = implementations.map(({ name }) => results[name][key]);
  return { label, unit, inThread, worker, nodeTls, inThreadRatio: inThread / nodeTls, workerRatio: worker / nodeTls };
}

function print(table) {
  if (args.json) {
    console.log(JSON.stringify(table, null, 2));
    return;
  }
  console.log('| row | unit | sslsocket | sslsocket `workers: 1` | node:tls | ratio | ratio `workers: 1` |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { label, unit, inThread, worker, nodeTls, inThreadRatio, workerRatio } of table) {
    console.log(`| ${label} | ${unit} | ${[inThread, worker, nodeTls, inThreadRatio, workerRatio].map(format).join(' | ')} |`);
  }
  console.log('\n(ratio: the package over node:tls)');
}

function format(value) {
  if (!Number.isFinite(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** An echo (or sink) server of `tls` on 127.0.0.1 and its port. */
async function listen(tls, onConnection) {
  const server = tls.createServer({ cert: pki.cert, key: pki.key, ciphers: CIPHER, minVersion: 'TLSv1.3' }, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: server.address().port };
}

/** A client of `tls` to the port, resolved at 'secureConnect'. */
async function connect(tls, port) {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca, ciphers: CIPHER, minVersion: 'TLSv1.3' });
  await once(socket, 'secureConnect');
  return socket;
}

async function close(server) {
  await new Promise((resolve) => server.close(resolve));
}

async function handshakesPerSecond(tls) {
  const { server, port } = await listen(tls, (socket) => socket.on('error', () => {}).resume());
  try {
    await connect(tls, port).then((socket) => socket.destroy()); // warm-up
    const start = performance.now();
    for (let i = 0; i < HANDSHAKES; i++) {
      const socket = await connect(tls, port);
      socket.destroy();
    }
    return HANDSHAKES / ((performance.now() - start) / 1000);
  } finally {
    await close(server);
  }
}

/**
 * MiB/s of MIB MiB one way over one connection, timed from the first write to the last byte
 * read; the server is of `serverTls` (by default the client's implementation).
 */
async function bulk(tls, direction, serverTls = tls) {
  const total = MIB * 1024 * 1024;
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  let received = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const sink = (socket) => socket.on('data', (data) => {
    received += data.length;
    if (received >= total) done();
  });
  const send = async (socket) => {
    for (let sent = 0; sent < total; sent += CHUNK) {
      if (!socket.write(chunk)) await once(socket, 'drain');
    }
  };
  const { server, port } = await listen(serverTls, (socket) => {
    socket.on('error', () => {});
    if (direction === 'upload') sink(socket);
    else send(socket);
  });
  try {
    const client = await connect(tls, port);
    const start = performance.now();
    if (direction === 'upload') send(client);
    else sink(client);
    await finished;
    const seconds = (performance.now() - start) / 1000;
    client.destroy();
    return MIB / seconds;
  } finally {
    await close(server);
  }
}

/** One echo connection: the first round trip at once, then ECHOES after 100 ms pauses. */
async function echoLatency(tls) {
  const { server, port } = await listen(tls, (socket) => socket.on('error', () => {}).pipe(socket));
  try {
    const client = await connect(tls, port);
    const roundTrip = async () => {
      const start = performance.now();
      client.write('x');
      await once(client, 'data');
      return performance.now() - start;
    };
    const first = await roundTrip();
    const times = [];
    for (let i = 0; i < ECHOES; i++) {
      await sleep(100);
      times.push(await roundTrip());
    }
    client.destroy();
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    return { first, p50: at(0.5), p90: at(0.9) };
  } finally {
    await close(server);
  }
}

/** CPU time of the whole process while one connection is open and the server listens. */
async function idleCpu(tls) {
  const { server, port } = await listen(tls, (socket) => socket.on('error', () => {}).resume());
  try {
    const client = await connect(tls, port);
    await sleep(200); // let the handshake's last flights settle
    const before = process.cpuUsage();
    const start = performance.now();
    await sleep(IDLE_MS);
    const used = process.cpuUsage(before);
    const elapsedMs = performance.now() - start;
    client.destroy();
    return ((used.user + used.system) / 1000 / elapsedMs) * 100;
  } finally {
    await close(server);
  }
}

/** An ECDSA P-256 CA and a server leaf for localhost / 127.0.0.1, made with the openssl CLI. */
function makePki() {
  const dir = mkdtempSync(join(tmpdir(), 'sslsocket-node-bench-'));
  const openssl = (...argv) => execFileSync('openssl', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sslsocket bench CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  openssl('req', '-new', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-sha256', '-extfile', 'server.ext', '-out', 'server.pem');
  const read = (name) => readFileSync(join(dir, name), 'utf8');
  return { dir, ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
}
