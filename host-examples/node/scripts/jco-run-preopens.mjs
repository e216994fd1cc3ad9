// `jco run --jco-import` module: jco 1.35's `run` gives a command no files, so this preopens each
// directory named in JCO_RUN_PREOPENS (separated by the platform's path delimiter, ':' on Unix)
// at the same path inside the guest, e.g. the directory of a CA file for `tls-get --cafile`:
//
//   JCO_RUN_PREOPENS=$PWD npx jco run --jco-import ./scripts/jco-run-preopens.mjs tls-get.wasm ...
import { delimiter, resolve } from 'node:path';
import { _addPreopen } from '@bytecodealliance/preview2-shim/filesystem';

for (const dir of (process.env.JCO_RUN_PREOPENS ?? '').split(delimiter).filter(Boolean)) {
  _addPreopen(resolve(dir), resolve(dir));
}
