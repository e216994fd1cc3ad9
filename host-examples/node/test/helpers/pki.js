// A test PKI generated with the openssl CLI in a temporary directory (removed when the test file
// ends): an ECDSA P-256 CA and leaves signed by it (server for localhost / 127.0.0.1, client,
// expired, wrong host), an RSA server leaf, a self-signed leaf, and a leaf of an unknown CA.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import './tools.js'; // its signal handlers make 'exit' handlers run

/** Runs openssl in `dir`, throwing with its stderr on failure. */
function openssl(dir, args) {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl ${args.join(' ')} failed: ${error.stderr}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA: self-signed, CA:TRUE, keyCertSign. */
function makeCa(dir, name, cn) {
  openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30',
    '-subj', `/O=sslsocket tests/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

/** Extensions of a leaf. */
function leafExtensions(dir, name, san, usage) {
  const file = `${name}.ext`;
  writeFileSync(join(dir, file), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage}`,
    ...(san ? [`subjectAltName=${san}`] : []),
  ].join('\n') + '\n');
  return file;
}

/** A leaf signed by `ca` with `openssl x509 -req` (valid from now for 30 days). */
function makeLeaf(dir, { name, cn, san, ca = 'ca', usage = 'serverAuth', key = EC_KEY }) {
  openssl(dir, ['req', '-new', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=sslsocket tests/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', leafExtensions(dir, name, san, usage), '-out', `${name}.pem`]);
}

/**
 * An expired leaf: `openssl req -x509` and `x509 -days` cannot start in the past, `openssl ca`
 * can (`-startdate` / `-enddate`), with a minimal CA database.
 */
function makeExpiredLeaf(dir, { name, cn, san }) {
  openssl(dir, ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=sslsocket tests/CN=${cn}`]);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = test_ca',
    '[test_ca]', 'database = index.txt', 'new_certs_dir = .', 'serial = ca-db.srl', 'default_md = sha256',
    'policy = any', 'copy_extensions = none', 'unique_subject = no',
    '[any]', 'commonName = supplied', 'organizationName = optional',
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'ca-db.srl'), '1000\n');
  openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`,
    '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extfile', leafExtensions(dir, name, san, 'serverAuth'),
    '-out', `${name}.pem`, '-notext']);
}

/**
 * Generates the PKI; call it at the top level of a test file (its cleanup is a root `after`
 * hook). Every entry has `cert` and `key` (PEM text) and `certPath` / `keyPath`.
 * @returns {{dir: string, ca: Entry, server: Entry, rsaServer: Entry, client: Entry,
 *   expired: Entry, wrongHost: Entry, selfSigned: Entry, otherCa: Entry, otherServer: Entry}}
 */
export function createPki() {
  const dir = mkdtempSync(join(tmpdir(), 'sslsocket-node-test-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  after(cleanup);
  process.on('exit', cleanup); // also when stopped by a signal (see tools.js)
  makeCa(dir, 'ca', 'sslsocket test CA');
  makeCa(dir, 'other-ca', 'unknown test CA');
  makeLeaf(dir, { name: 'server', cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1,IP:::1' });
  makeLeaf(dir, { name: 'rsa-server', cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', key: ['-newkey', 'rsa:2048', '-nodes'] });
  makeLeaf(dir, { name: 'client', cn: 'test client', usage: 'clientAuth' });
  makeLeaf(dir, { name: 'wrong-host', cn: 'wrong.example', san: 'DNS:wrong.example' });
  makeLeaf(dir, { name: 'other-server', cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', ca: 'other-ca' });
  makeExpiredLeaf(dir, { name: 'expired', cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1' });
  openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', 'self-signed.key', '-out', 'self-signed.pem', '-days', '30',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);

  const entry = (name) => ({
    certPath: join(dir, `${name}.pem`),
    keyPath: join(dir, `${name}.key`),
    cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
  });
  return {
    dir,
    ca: entry('ca'),
    otherCa: entry('other-ca'),
    server: entry('server'),
    rsaServer: entry('rsa-server'),
    client: entry('client'),
    wrongHost: entry('wrong-host'),
    otherServer: entry('other-server'),
    expired: entry('expired'),
    selfSigned: entry('self-signed'),
  };
}

/** What `entry` of createPki gives for `name` in `dir`. */
function readEntry(dir, name) {
  return {
    certPath: join(dir, `${name}.pem`),
    keyPath: join(dir, `${name}.key`),
    cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
  };
}

/**
 * One more leaf signed by the test CA of `pki` (e.g. another server name, for SNI).
 * @param {ReturnType<typeof createPki>} pki
 * @param {{name: string, cn: string, san?: string, usage?: string}} leaf
 */
export function makeExtraLeaf(pki, leaf) {
  makeLeaf(pki.dir, leaf);
  return readEntry(pki.dir, leaf.name);
}

/**
 * Revocation material from the test CA of `pki`: two server leaves for localhost / 127.0.0.1
 * issued with `openssl ca` (which keeps the database revocation needs), `good` and `revoked`
 * (revoked with reason keyCompromise); the CA's CRL (`openssl ca -gencrl`) as PEM and DER; and
 * for each leaf a DER OCSP response signed by the CA (`openssl ocsp -index`), for
 * `openssl s_server -status_file`.
 * @param {ReturnType<typeof createPki>} pki
 */
export function createRevocation(pki) {
  const { dir } = pki;
  writeFileSync(join(dir, 'db-index.txt'), '');
  writeFileSync(join(dir, 'db-crlnumber'), '01\n');
  writeFileSync(join(dir, 'db.srl'), '2000\n');
  writeFileSync(join(dir, 'db.cnf'), [
    '[ca]', 'default_ca = db_ca',
    '[db_ca]', 'database = db-index.txt', 'new_certs_dir = .', 'serial = db.srl', 'crlnumber = db-crlnumber',
    'default_md = sha256', 'default_crl_days = 30', 'policy = any', 'copy_extensions = none', 'unique_subject = no',
    '[any]', 'commonName = supplied', 'organizationName = optional',
  ].join('\n') + '\n');
  const ca = ['-config', 'db.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key'];
  for (const name of ['good', 'revoked']) {
    openssl(dir, ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=sslsocket tests/CN=${name} localhost`]);
    openssl(dir, ['ca', '-batch', ...ca, '-in', `${name}.csr`, '-days', '30', '-notext', '-out', `${name}.pem`,
      '-extfile', leafExtensions(dir, name, 'DNS:localhost,IP:127.0.0.1', 'serverAuth')]);
  }
  openssl(dir, ['ca', ...ca, '-revoke', 'revoked.pem', '-crl_reason', 'keyCompromise']);
  openssl(dir, ['ca', ...ca, '-gencrl', '-out', 'crl.pem']);
  openssl(dir, ['crl', '-in', 'crl.pem', '-outform', 'DER', '-out', 'crl.der']);
  for (const name of ['good', 'revoked']) {
    openssl(dir, ['ocsp', '-issuer', 'ca.pem', '-cert', `${name}.pem`, '-no_nonce', '-reqout', `${name}.ocsp-req`]);
    openssl(dir, ['ocsp', '-index', 'db-index.txt', '-rsigner', 'ca.pem', '-rkey', 'ca.key', '-CA', 'ca.pem',
      '-reqin', `${name}.ocsp-req`, '-respout', `${name}.ocsp`, '-ndays', '1']);
  }
  return {
    good: { ...readEntry(dir, 'good'), ocspPath: join(dir, 'good.ocsp') },
    revoked: { ...readEntry(dir, 'revoked'), ocspPath: join(dir, 'revoked.ocsp') },
    crlPem: readFileSync(join(dir, 'crl.pem'), 'utf8'),
    crlDer: readFileSync(join(dir, 'crl.der')),
  };
}
