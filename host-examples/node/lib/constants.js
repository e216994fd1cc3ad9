// What `node:tls` gives synchronously and the component holds as constants: its built-in root
// certificates (`tls.rootCertificates`), the ciphers it can negotiate (`tls.getCiphers()`), its
// default cipher list and protocol range (`tls.DEFAULT_CIPHERS`, `DEFAULT_MIN_VERSION`,
// `DEFAULT_MAX_VERSION`). The component runs in the worker, so scripts/build.mjs reads them from
// it once and writes gen/tls-constants.json, which this module reads when it is imported.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CONSTANTS_URL = new URL('../gen/tls-constants.json', import.meta.url);

/** @returns {{rootCertificates: string[], supportedCiphers: string[], defaultCiphers: string[]}} */
function load() {
  try {
    return JSON.parse(readFileSync(CONSTANTS_URL, 'utf8'));
  } catch (error) {
    throw new Error(`sslsocket: cannot read ${fileURLToPath(CONSTANTS_URL)} (run npm run build): ${error.message}`, { cause: error });
  }
}

const constants = load();

/**
 * The component's built-in root certificates (Mozilla's, the `system-ca-certificates` that
 * clients trust without `ca`), as PEM strings; a frozen array, as Node's `tls.rootCertificates`.
 * Extend rather than replace the roots with `ca: [...rootCertificates, myCa]`.
 * @type {readonly string[]}
 */
export const rootCertificates = Object.freeze([...constants.rootCertificates]);

const ciphers = Object.freeze([...new Set(constants.supportedCiphers.map((name) => name.toLowerCase()))]);

/**
 * The names of the ciphers the component can negotiate, lower case, as Node's `tls.getCiphers()`
 * (e.g. `'tls_aes_128_gcm_sha256'`, `'ecdhe-ecdsa-aes128-gcm-sha256'`); a new array each call.
 * Any of them (in any case) is a valid `ciphers` option.
 * @returns {string[]}
 */
export function getCiphers() {
  return [...ciphers];
}

/**
 * The default cipher list of new sockets (the component's `global-ciphers`), colon-separated
 * OpenSSL names, as Node's `tls.DEFAULT_CIPHERS`. Read-only here: an ES module's export cannot be
 * reassigned by its importers (pass `ciphers` instead).
 */
export const DEFAULT_CIPHERS = constants.defaultCiphers.join(':');

/** The lowest protocol the component speaks and its default minimum, as `tls.DEFAULT_MIN_VERSION`. */
export const DEFAULT_MIN_VERSION = 'TLSv1.2';

/** The highest protocol, as `tls.DEFAULT_MAX_VERSION`. */
export const DEFAULT_MAX_VERSION = 'TLSv1.3';
