// `npm run bench` (scripts/bench.mjs) at its smallest: every row comes out, with a positive
// value for the package (in this thread, the default, and with `workers: 1`) and for node:tls. No figure is
// checked: performance lives in the benchmark, not in tests.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { needTools } from './helpers/tools.js';

const BENCH = fileURLToPath(new URL('../scripts/bench.mjs', import.meta.url));

test('npm run bench produces every row for the package and node:tls', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const args = [BENCH, '--mib', '1', '--handshakes', '2', '--echoes', '2', '--idle-ms', '100', '--json'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 120_000 });
  const rows = JSON.parse(stdout);
  assert.deepEqual(rows.map((row) => row.label), [
    'full handshakes',
    'bulk client -> server',
    'bulk server -> client',
    'bulk client -> node:tls server',
    'bulk node:tls server -> client',
    '1-byte echo right after connect',
    '1-byte echo after 100 ms pause, p50',
    '1-byte echo after 100 ms pause, p90',
    'idle CPU, one connection + listening server',
  ]);
  for (const row of rows) {
    for (const key of ['inThread', 'worker', 'nodeTls']) {
      assert.ok(Number.isFinite(row[key]) && row[key] >= 0, `${row.label}: ${key} = ${row[key]}`);
    }
  }
});
