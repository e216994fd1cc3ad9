// The engines (component instances, in this thread or in worker threads) that sockets and
// servers run on, and the policy that places each new one.
//
// By default (`workers: 0`) one engine runs in the caller's thread (lib/hosts.js), as `node:tls`
// does its TLS work: no thread hop per command and notice, hence the lowest latency, with the
// TLS work on this thread's event loop. `configure({workers: n})` moves new sockets and servers
// to up to n worker threads, each with its own instance: for a process whose TLS work (a few ms
// of wasm per handshake) should not run on its event loop, or needs more than one core. A new
// client socket or server goes to the live engine with the fewest open sockets and servers; a
// new engine is started only when every running one already has work, so n is a ceiling, not a
// cost paid up front.
// The connections a server accepts run on that server's engine (a listener lives in one
// instance). A dead engine leaves the pool at once; the next placement starts a new one.

import { Engine } from './engine.js';

/** @type {Engine[]} */
let engines = [];
let maxWorkers = 0;
/** @type {{heartbeatMs?: number, heartbeatTimeoutMs?: number}} options of engines started from now on */
let engineOptions = {};

/**
 * Sets how sockets and servers opened from now on are run; the ones already open stay as they
 * are. Every field is optional.
 * @param {{workers?: number, heartbeatMs?: number, heartbeatTimeoutMs?: number}} options
 *   `workers`: 0 (the default) for one instance in this thread, or how many worker threads
 *   (component instances) they may be spread over, 1 to 64; `heartbeatMs` / `heartbeatTimeoutMs`: how often a worker is asked whether it is
 *   alive, and how long it may take to answer before it counts as hung and is terminated, in ms
 *   (defaults 2,000 and 15,000; lib/engine.js)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` for a value outside its range
 */
export function configure({ workers, heartbeatMs, heartbeatTimeoutMs } = {}) {
  if (workers !== undefined) maxWorkers = checkInteger('workers', workers, 0, 64);
  const next = { ...engineOptions };
  if (heartbeatMs !== undefined) next.heartbeatMs = checkInteger('heartbeatMs', heartbeatMs, 10, 3_600_000);
  if (heartbeatTimeoutMs !== undefined) next.heartbeatTimeoutMs = checkInteger('heartbeatTimeoutMs', heartbeatTimeoutMs, 10, 3_600_000);
  engineOptions = next;
}

/**
 * The engine a new client socket or server runs on: the least loaded live one, or a new one
 * while fewer than the configured number run and each of them has work.
 * @returns {Engine}
 */
export function pickEngine() {
  engines = engines.filter((engine) => !engine.dead);
  const inThread = maxWorkers === 0;
  const candidates = engines.filter((engine) => engine.inThread === inThread);
  let best = null;
  for (const engine of candidates) if (best === null || engine.load < best.load) best = engine;
  if (best === null || (best.load > 0 && candidates.length < maxWorkers)) {
    best = new Engine({ ...engineOptions, inThread });
    engines.push(best);
  }
  return best;
}

/** Terminates every engine's worker; their open sockets and servers get an error. */
export async function terminateEngines() {
  const running = engines;
  engines = [];
  await Promise.all(running.map((engine) => engine.terminate()));
}

/** Returns `value` when it is an integer in [min, max], else throws Node's range error. */
function checkInteger(name, value, min, max) {
  if (!Number.isInteger(value) || value < min || value > max) {
    const error = new RangeError(`The value of "${name}" is out of range. It must be an integer from ${min} to ${max}. Received ${value}`);
    error.code = 'ERR_OUT_OF_RANGE';
    throw error;
  }
  return value;
}
