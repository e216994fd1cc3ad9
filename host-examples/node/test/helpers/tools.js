// External tools the tests use as peers (openssl, python3), and the child processes they start.
//
// Under CI=true a missing tool fails the test; otherwise the test is skipped with a message.
// Every child is killed when the test file ends (and on process exit), so nothing leaks.

import { spawn, spawnSync } from 'node:child_process';
import { after } from 'node:test';

const available = new Map();

/** Whether `command` runs (`command args` exits 0). Cached. */
function runs(command, args) {
  if (!available.has(command)) {
    const result = spawnSync(command, args, { stdio: 'ignore' });
    available.set(command, result.status === 0);
  }
  return available.get(command);
}

const VERSION_ARGS = { openssl: ['version'], python3: ['--version'] };

/**
 * Makes sure the tools a test needs exist: returns true when they do; otherwise fails the test
 * under CI=true (throws), or skips it with a message and returns false.
 * @param {import('node:test').TestContext} t
 * @param {...('openssl' | 'python3')} tools
 */
export function needTools(t, ...tools) {
  const missing = tools.filter((tool) => !runs(tool, VERSION_ARGS[tool]));
  if (missing.length === 0) return true;
  const message = `${missing.join(' and ')} not found on PATH`;
  if (process.env.CI === 'true') throw new Error(`${message} (required under CI=true)`);
  t.skip(`${message}: skipped`);
  return false;
}

/** Whether every tool exists, for `describe(..., { skip })` style checks. */
export function haveTools(...tools) {
  return tools.every((tool) => runs(tool, VERSION_ARGS[tool]));
}

const children = new Set();

function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

after(killAll);
process.on('exit', killAll);
// A test process stopped by a signal (e.g. `timeout`) does not run 'exit' handlers by itself:
// exit explicitly, so that they run (here and in pki.js).
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.once(signal, () => process.exit(128 + number));
}

/**
 * Starts a child process that is killed when the test file ends.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
export function startChild(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdoutText = '';
  child.stderrText = '';
  child.stdout?.on('data', (d) => { child.stdoutText += d; });
  child.stderr?.on('data', (d) => { child.stderrText += d; });
  return child;
}

/**
 * Resolves with the first match of `pattern` in the child's stdout or stderr; rejects if the
 * child exits first or after `timeoutMs`.
 */
export function waitForOutput(child, pattern, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(child.stdoutText) ?? pattern.exec(child.stderrText);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`child exited (${code}) before printing ${pattern}:\n${child.stdoutText}\n${child.stderrText}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern}:\n${child.stdoutText}\n${child.stderrText}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('exit', onExit);
    check();
  });
}

/** Resolves with `{code, stdout, stderr}` when the child exits (killed after `timeoutMs`). */
export function waitForExit(child, timeoutMs = 20_000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: child.stdoutText, stderr: child.stderrText });
    };
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode);
    else child.on('close', done);
  });
}
