// What an encrypted socket negotiated, read once from the component when the handshake ends
// (worker side), so that the main thread can answer `getProtocol()`, `getCipher()`,
// `getPeerCertificate()`... synchronously, as Node does.

import { describeCertificate } from '../certificate.js';
import { authorizationCode, sslErrorCode } from '../errors.js';
import { dropList } from './resources.js';

/** WIT `protocol` of a finished handshake -> Node's `getProtocol()` text. */
const PROTOCOL_NAMES = { 'tls-v1-2': 'TLSv1.2', 'tls-v1-3': 'TLSv1.3' };

/** Reads and drops the certificates of one lifted list. */
function describeAndDrop(certificates) {
  try {
    return certificates.map(describeCertificate);
  } finally {
    dropList(certificates);
  }
}

/**
 * Every verification error the component reports (`ssl-socket.ssl-errors`), described.
 * @param {any} socket an `ssl-socket`
 * @returns {{error: string, code: string, message: string, subject?: string, certificate?: object}[]}
 */
export function describeSslErrors(socket) {
  const entries = socket.sslErrors();
  try {
    return entries.map((entry) => {
      const described = { error: entry.error, code: sslErrorCode(entry.error), message: entry.message };
      if (entry.certificate) {
        described.certificate = describeCertificate(entry.certificate);
        described.subject = described.certificate.subjectDN;
      }
      return described;
    });
  } finally {
    dropList(entries.map((entry) => entry.certificate).filter(Boolean));
  }
}

/** The socket's addresses, as Node's `localAddress`, `remoteAddress`... */
export function describeAddresses(socket) {
  const remoteAddress = socket.peerAddress();
  return {
    localAddress: socket.localAddress(),
    localPort: socket.localPort(),
    remoteAddress,
    remotePort: socket.peerPort(),
    remoteFamily: remoteAddress?.includes(':') ? 'IPv6' : 'IPv4',
  };
}

/**
 * Describes the session of an encrypted socket.
 * @param {any} socket an `ssl-socket` that emitted `encrypted`
 * @param {boolean} peerVerified whether the peer's certificate was asked for and checked
 *   (always for clients; for servers only with `requestCert`)
 */
export function describeSession(socket, peerVerified) {
  const cipher = socket.currentCipher();
  const peerChain = describeAndDrop(socket.peerCertificateChain());
  const sslErrors = describeSslErrors(socket);
  let authorizationError = authorizationCode(sslErrors.map((e) => e.error));
  if (peerVerified && authorizationError === null && peerChain.length === 0) {
    authorizationError = authorizationCode(['no-peer-certificate']);
  }
  const protocol = socket.sessionProtocol();
  const local = socket.localCertificate();
  const localRaw = local ? local.toDer() : null;
  local?.[Symbol.dispose]?.();
  return {
    protocol: PROTOCOL_NAMES[protocol] ?? protocol ?? null,
    cipher: cipher ? { name: cipher.name, standardName: cipher.ianaName, version: cipher.protocolString } : null,
    alpnProtocol: socket.nextNegotiatedProtocol() ?? false,
    sessionReused: socket.sessionResumed(),
    keyExchangeGroup: socket.keyExchangeGroup() ?? null,
    peerChain,
    localRaw,
    sslErrors,
    authorized: peerVerified && authorizationError === null,
    authorizationError,
    // The stapled OCSP response as the server sent it, when this client checked one
    // (`requestOCSP`): Node's 'OCSPResponse'.
    ocspResponse: socket.stapledOcspResponse() ?? null,
    ...describeAddresses(socket),
  };
}
