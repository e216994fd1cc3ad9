// Certificates in the shape of Node's `tlsSocket.getPeerCertificate()`.
//
// The worker reads a component `certificate` resource (WIT `pki.certificate`) into a plain,
// cloneable description (`describeCertificate`); the main thread turns a chain of descriptions
// into Node's objects (`peerCertificate`), linking `issuerCertificate` for the detailed form.

import { createHash } from 'node:crypto';

/** WIT `subject-info-attribute` -> the OpenSSL short name Node uses as the key. */
const ATTRIBUTES = [
  ['country-name', 'C'],
  ['state-or-province-name', 'ST'],
  ['locality-name', 'L'],
  ['organization', 'O'],
  ['organizational-unit-name', 'OU'],
  ['common-name', 'CN'],
  ['email-address', 'emailAddress'],
];

/** WIT `alternative-name` case -> the prefix in Node's `subjectaltname` string. */
const ALT_NAME_PREFIXES = { dns: 'DNS', 'ip-address': 'IP Address', email: 'email', uri: 'URI' };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A date as OpenSSL prints it and Node reports `valid_from` / `valid_to`: `Dec  2 03:46:28 2026 GMT`.
 * @param {bigint | number} seconds since the Unix epoch
 */
export function opensslDate(seconds) {
  const d = new Date(Number(seconds) * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${MONTHS[d.getUTCMonth()]} ${day} ${time} ${d.getUTCFullYear()} GMT`;
}

/** Bytes as upper-case hex pairs joined by colons, as Node prints fingerprints. */
function colonHex(bytes) {
  return Buffer.from(bytes).toString('hex').toUpperCase().match(/../g).join(':');
}

/**
 * An IPv6 address as OpenSSL (hence Node's `subjectaltname`) prints it: eight upper-case hex
 * groups, no zero compression (`::1` -> `0:0:0:0:0:0:0:1`). IPv4 addresses are unchanged.
 * @param {string} address
 */
export function opensslIpAddress(address) {
  if (!address.includes(':')) return address;
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(':');
}

/** Node's distinguished-name object: one key per attribute, an array when repeated. */
function nameObject(read) {
  const name = Object.create(null);
  for (const [attribute, key] of ATTRIBUTES) {
    const values = read(attribute);
    if (values.length === 1) name[key] = values[0];
    else if (values.length > 1) name[key] = values;
  }
  return name;
}

/**
 * Reads a component certificate into a plain object (worker side). The resource is not dropped.
 * @param {any} certificate a `pki.certificate` resource
 * @returns {Record<string, any>} cloneable; `raw` and `pubkey` are Uint8Arrays
 */
export function describeCertificate(certificate) {
  const raw = certificate.toDer();
  const description = {
    subject: nameObject((a) => certificate.subjectInfo(a)),
    issuer: nameObject((a) => certificate.issuerInfo(a)),
    subjectDN: certificate.subject(),
    issuerDN: certificate.issuer(),
    ca: certificate.isCa(),
    selfSigned: certificate.isSelfSigned(),
    valid_from: opensslDate(certificate.effectiveDate()),
    valid_to: opensslDate(certificate.expiryDate()),
    fingerprint: colonHex(certificate.digest('sha1')),
    fingerprint256: colonHex(certificate.digest('sha256')),
    fingerprint512: colonHex(createHash('sha512').update(raw).digest()),
    serialNumber: certificate.serialNumber().replaceAll(':', '').toUpperCase(),
    raw,
  };
  const altNames = certificate.subjectAlternativeNames();
  if (altNames.length > 0) {
    description.subjectaltname = altNames
      .map((n) => `${ALT_NAME_PREFIXES[n.tag] ?? n.tag}:${n.tag === 'ip-address' ? opensslIpAddress(n.val) : n.val}`)
      .join(', ');
  }
  let key;
  try {
    key = certificate.publicKey();
    description.bits = key.length();
    description.pubkey = key.toDer();
    description.keyAlgorithm = key.algorithm();
    if (description.keyAlgorithm === 'ec') {
      const curves = { 256: ['prime256v1', 'P-256'], 384: ['secp384r1', 'P-384'], 521: ['secp521r1', 'P-521'] };
      const curve = curves[description.bits];
      if (curve) [description.asn1Curve, description.nistCurve] = curve;
    }
  } catch {
    // A key type the component does not handle: the certificate is still described.
  } finally {
    key?.[Symbol.dispose]?.(); // a single resource: its dispose is right (lib/worker/resources.js)
  }
  return description;
}

/** Order of Node's keys, for objects that print like Node's. */
const NODE_KEYS = [
  'subject', 'issuer', 'subjectaltname', 'ca', 'bits', 'asn1Curve', 'nistCurve', 'pubkey',
  'valid_from', 'valid_to', 'fingerprint', 'fingerprint256', 'fingerprint512', 'serialNumber', 'raw',
];

/**
 * One description as Node's object (Buffers instead of Uint8Arrays, null-prototype names, which
 * `postMessage` does not keep), without the issuer link.
 */
function nodeCertificate(description) {
  const certificate = {};
  for (const key of NODE_KEYS) {
    const value = description[key];
    if (value === undefined) continue;
    if (value instanceof Uint8Array) certificate[key] = Buffer.from(value);
    else if (key === 'subject' || key === 'issuer') certificate[key] = Object.assign(Object.create(null), value);
    else certificate[key] = value;
  }
  return certificate;
}

/**
 * Node's `getPeerCertificate(detailed)` from the peer's chain (leaf first, as sent).
 * @param {Record<string, any>[]} chain descriptions from `describeCertificate`
 * @param {boolean} detailed link `issuerCertificate` through the chain; a self-signed
 *   certificate is its own issuer, as in Node
 * @returns {Record<string, any>} `{}` when the peer sent no certificate, as Node returns
 */
export function peerCertificate(chain, detailed) {
  if (!chain || chain.length === 0) return {};
  const certificates = chain.map(nodeCertificate);
  if (!detailed) return certificates[0];
  certificates.forEach((certificate, i) => {
    const description = chain[i];
    if (description.selfSigned) certificate.issuerCertificate = certificate;
    else if (certificates[i + 1] && chain[i + 1].subjectDN === description.issuerDN) {
      certificate.issuerCertificate = certificates[i + 1];
    }
  });
  return certificates[0];
}
