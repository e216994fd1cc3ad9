// npm run build: transpiles the sslsocket component into gen/ with jco.
//
// The component comes from $SSLSOCKET_COMPONENT when set; otherwise the Rust CLI writes the one
// embedded in the Rust host (`cargo run -q -p sslsocket-cli -- component --out gen/sslsocket.wasm`,
// from the workspace root). Transpiling is skipped when gen/ is newer than the component.
//
// It then writes gen/tls-constants.json: what `node:tls` gives synchronously and the component
// holds as constants (its built-in root certificates, its cipher names), read from the component
// once here, since at run time the component lives in the worker (lib/constants.js).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspaceRoot = resolve(packageDir, '../..');
const genDir = join(packageDir, 'gen');
const bindings = join(genDir, 'sslsocket.js');
const constants = join(genDir, 'tls-constants.json');

/** Modification time in ms, or 0 when the file does not exist. */
function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** The component's path: $SSLSOCKET_COMPONENT, or written by the Rust CLI into gen/. */
function componentPath() {
  const fromEnv = process.env.SSLSOCKET_COMPONENT;
  if (fromEnv) {
    const path = resolve(fromEnv);
    if (!existsSync(path)) throw new Error(`SSLSOCKET_COMPONENT=${fromEnv}: no such file`);
    return path;
  }
  mkdirSync(genDir, { recursive: true });
  const out = join(genDir, 'sslsocket.wasm');
  console.log(`build: writing the component with cargo (set SSLSOCKET_COMPONENT to use a built one)`);
  execFileSync('cargo', ['run', '-q', '-p', 'sslsocket-cli', '--', 'component', '--out', relative(workspaceRoot, out)], {
    cwd: workspaceRoot,
    stdio: 'inherit',
  });
  return out;
}

const component = componentPath();
if (mtime(bindings) > mtime(component) && existsSync(join(genDir, 'package.json'))) {
  console.log(`build: gen/ is up to date with ${component}`);
} else {
  console.log(`build: transpiling ${component} into gen/`);
  const jco = join(packageDir, 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');
  execFileSync(process.execPath, [jco, 'transpile', component, '-o', genDir, '--name', 'sslsocket', '--quiet'], {
    stdio: 'inherit',
  });
  readEnvOnce(bindings);
  // gen/ holds ES modules whatever the package says; say so for tools that look at gen/ alone.
  writeFileSync(join(genDir, 'package.json'), '{ "type": "module" }\n');
}

if (mtime(constants) > mtime(bindings)) {
  console.log('build: gen/tls-constants.json is up to date');
} else {
  const { socket } = await import(pathToFileURL(bindings).href);
  const names = (ciphers) => ciphers.map((cipher) => cipher.name);
  writeFileSync(constants, `${JSON.stringify({
    // PEM without the final newline, as Node's tls.rootCertificates.
    rootCertificates: socket.systemCaCertificates().map((certificate) => certificate.toPem().trimEnd()),
    supportedCiphers: names(socket.supportedCiphers()),
    defaultCiphers: names(socket.globalCiphers()),
  }, null, 1)}\n`);
  console.log('build: wrote gen/tls-constants.json');
}

/**
 * jco 1.35's bindings call `_debugLog` about twenty times per component call, and each call
 * read `process.env.JCO_DEBUG`, a lookup into the C environment, not a plain property: about
 * a fifth of the worker's time per call. Read it once, when the bindings load (`JCO_DEBUG` still
 * turns the logging on, set before start). Fails the build if the generated code changed shape.
 */
function readEnvOnce(path) {
  const perCall = `const _debugLog = (...args) => {
  if (!globalThis?.process?.env?.JCO_DEBUG) { return; }`;
  const once = `const _jcoDebug = Boolean(globalThis?.process?.env?.JCO_DEBUG);
const _debugLog = (...args) => {
  if (!_jcoDebug) { return; }`;
  const code = readFileSync(path, 'utf8');
  if (code.split(perCall).length !== 2) {
    throw new Error(`build: ${path} has no single per-call JCO_DEBUG check to hoist (did jco change?)`);
  }
  writeFileSync(path, code.replace(perCall, once));
}
