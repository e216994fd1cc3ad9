// Mapping of the component's errors (WIT `error-code` and `ssl-error`) to Node-style errors.
//
// Used on both sides of the worker boundary: the worker turns a WIT error payload into a plain
// description (`describeErrorCode`), which survives `postMessage`; the main thread turns the
// description into an `Error` (`toError`).

/** Node-style `code` for each WIT `error-code` case. */
const ERROR_CODES = Object.freeze({
  'connection-refused': 'ECONNREFUSED',
  'remote-host-closed': 'ECONNRESET',
  'host-not-found': 'ENOTFOUND',
  'socket-access': 'EACCES',
  'socket-resource': 'ENOBUFS',
  'socket-timeout': 'ETIMEDOUT',
  network: 'ENETUNREACH',
  'address-in-use': 'EADDRINUSE',
  'socket-address-not-available': 'EADDRNOTAVAIL',
  'unsupported-socket-operation': 'ERR_SSLSOCKET_UNSUPPORTED_OPERATION',
  'ssl-handshake-failed': 'ERR_SSL_HANDSHAKE_FAILED',
  'ssl-internal': 'ERR_SSL_INTERNAL',
  'unsupported-protocol': 'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'invalid-state': 'ERR_INVALID_STATE',
  'invalid-input': 'ERR_INVALID_ARG_VALUE',
  unknown: 'ERR_SSLSOCKET_UNKNOWN',
});

/** Readable text for the `error-code` cases that carry no text of their own. */
const ERROR_TEXTS = Object.freeze({
  'connection-refused': 'connection refused',
  'remote-host-closed': 'the peer closed the connection',
  'host-not-found': 'host not found',
  'socket-access': 'network access denied',
  'socket-resource': 'out of sockets or buffer memory',
  'socket-timeout': 'timed out',
  network: 'network error (for example the connection was reset)',
  'address-in-use': 'address already in use',
  'socket-address-not-available': 'address not available',
  'unsupported-socket-operation': 'unsupported socket operation',
});

/**
 * The Node / OpenSSL verification code (as in `tlsSocket.authorizationError`) of each WIT
 * `ssl-error` (Qt's `QSslError::SslError`). OpenSSL's `X509_V_ERR_*` names without the prefix, as
 * Node reports them; `host-name-mismatch` is Node's own `checkServerIdentity` code.
 */
const SSL_ERROR_CODES = Object.freeze({
  'unable-to-get-issuer-certificate': 'UNABLE_TO_GET_ISSUER_CERT',
  'unable-to-decrypt-certificate-signature': 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'unable-to-decode-issuer-public-key': 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'certificate-signature-failed': 'CERT_SIGNATURE_FAILURE',
  'certificate-not-yet-valid': 'CERT_NOT_YET_VALID',
  'certificate-expired': 'CERT_HAS_EXPIRED',
  'invalid-not-before-field': 'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'invalid-not-after-field': 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'self-signed-certificate': 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'self-signed-certificate-in-chain': 'SELF_SIGNED_CERT_IN_CHAIN',
  'unable-to-get-local-issuer-certificate': 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'unable-to-verify-first-certificate': 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'certificate-revoked': 'CERT_REVOKED',
  'invalid-ca-certificate': 'INVALID_CA',
  'path-length-exceeded': 'PATH_LENGTH_EXCEEDED',
  'invalid-purpose': 'INVALID_PURPOSE',
  'certificate-untrusted': 'CERT_UNTRUSTED',
  'certificate-rejected': 'CERT_REJECTED',
  'subject-issuer-mismatch': 'SUBJECT_ISSUER_MISMATCH',
  'authority-issuer-serial-number-mismatch': 'AKID_ISSUER_SERIAL_MISMATCH',
  // What Node reports on a server when the client sent no certificate.
  'no-peer-certificate': 'UNABLE_TO_GET_ISSUER_CERT',
  'host-name-mismatch': 'ERR_TLS_CERT_ALTNAME_INVALID',
  'unspecified-error': 'UNSPECIFIED',
});

/**
 * The Node-style verification code of a WIT `ssl-error` name: the table above, else the name in
 * upper snake case (e.g. `ocsp-no-response-found` -> `OCSP_NO_RESPONSE_FOUND`).
 * @param {string} sslError a WIT `ssl-error` case, e.g. `self-signed-certificate`
 * @returns {string}
 */
export function sslErrorCode(sslError) {
  return SSL_ERROR_CODES[sslError] ?? sslError.toUpperCase().replaceAll('-', '_');
}

/**
 * The one code for `authorizationError` out of all the errors of a handshake. Node checks the
 * host name only once the chain verified, so a chain error wins over `host-name-mismatch`; among
 * chain errors the first reported wins (the component lists them leaf first, as OpenSSL's
 * verify callback meets them).
 * @param {string[]} sslErrors WIT `ssl-error` names
 * @returns {string | null} null when the list is empty
 */
export function authorizationCode(sslErrors) {
  if (sslErrors.length === 0) return null;
  const chainError = sslErrors.find((e) => e !== 'host-name-mismatch');
  return sslErrorCode(chainError ?? 'host-name-mismatch');
}

/**
 * A plain, cloneable description of a WIT `error-code` value.
 * @param {{tag: string, val?: string} | string} errorCode the payload jco gives for `error-code`
 * @returns {{code: string, witCode: string, message: string, detail?: string}}
 */
export function describeErrorCode(errorCode) {
  const tag = typeof errorCode === 'string' ? errorCode : errorCode?.tag;
  const detail = typeof errorCode === 'object' && typeof errorCode.val === 'string' ? errorCode.val : undefined;
  const code = ERROR_CODES[tag] ?? 'ERR_SSLSOCKET_UNKNOWN';
  const text = detail || ERROR_TEXTS[tag] || String(tag);
  return { code, witCode: String(tag), message: `${text} (${tag})`, ...(detail ? { detail } : {}) };
}

/**
 * Whether `value` is already a description (a plain object with `code` and `message`, as
 * `describeErrorCode` makes and lib/worker/configure.js's `step` throws), not an Error.
 * @param {unknown} value
 */
function isDescription(value) {
  return value !== null && typeof value === 'object' && !(value instanceof Error)
    && typeof value.code === 'string' && typeof value.message === 'string';
}

/**
 * A plain, cloneable description of anything a call into the component threw: a WIT error
 * (jco throws an `Error` whose `payload` is the `error-code`), or a JS error (bad argument types,
 * a trap).
 * @param {unknown} thrown
 * @param {string} [context] what was being done, prefixed to the message (e.g. `loading key`)
 * @returns {{code: string, witCode?: string, message: string, detail?: string, trap?: boolean}}
 */
export function describeThrown(thrown, context) {
  const prefix = context ? `${context}: ` : '';
  if (isDescription(thrown)) return context ? { ...thrown, message: prefix + thrown.message } : thrown;
  if (thrown && typeof thrown === 'object' && 'payload' in thrown) {
    const description = describeErrorCode(thrown.payload);
    return { ...description, message: prefix + description.message };
  }
  if (thrown instanceof WebAssembly.RuntimeError) {
    return { code: 'ERR_SSLSOCKET_TRAP', message: `${prefix}the component trapped: ${thrown.message}`, trap: true };
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const code = thrown instanceof Error && typeof thrown.code === 'string' ? thrown.code : 'ERR_SSLSOCKET_INTERNAL';
  return { code, message: prefix + message };
}

/**
 * Turns a description (from `describeErrorCode` / `describeThrown`, possibly with extra fields
 * such as `sslErrors`) into an `Error` with those fields as properties.
 * @param {{code: string, message: string} & Record<string, unknown>} description
 * @returns {Error & {code: string}}
 */
export function toError(description) {
  const { message, ...fields } = description;
  const error = new Error(message);
  Object.assign(error, fields);
  return /** @type {Error & {code: string}} */ (error);
}

/** Whether a thrown WIT error is `invalid-state` (for a socket: it is closed, or its input ended). */
export function isInvalidState(thrown) {
  return thrown?.payload?.tag === 'invalid-state';
}
