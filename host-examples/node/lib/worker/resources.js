// What the worker gets back from the component through jco: bytes to move to another thread,
// and resources (certificates, keys) to drop.
//
// jco 1.35 bug: when it lifts a list of owned resources of the component (`list<certificate>`
// from `certificate.from-data` or `peer-certificate-chain`, the certificates inside the records
// of `ssl-errors`), the `Symbol.dispose` of every element is a closure over one function-scoped
// `var`, so each of them frees the LAST element's handle (and the second call throws
// `unknown handle index`, a WebAssembly.RuntimeError). The FinalizationRegistry entries are
// right (registered with each element's own handle). So: dispose only the last element
// explicitly, and leave the others to the registry, which runs between the event loop's passes
// (lib/worker/loop.js: the thread returns to its own event loop after each).

/**
 * The bytes of a lifted `list<u8>` as an array whose whole buffer can be moved (transferred)
 * with a message: jco lifts into a fresh Uint8Array, so a copy is made only for a view on
 * something larger.
 * @param {Uint8Array} data
 * @returns {Uint8Array}
 */
export function movable(data) {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

/**
 * Drops one resource the component returned on its own (not inside a list).
 * @param {any} resource
 */
export function dropOne(resource) {
  resource?.[Symbol.dispose]?.();
}

/**
 * Drops the resources of one lifted list, in the order the component returned them (for
 * `ssl-errors`: the certificates of the entries that have one).
 * @param {any[]} resources
 */
export function dropList(resources) {
  dropOne(resources.at(-1));
}
