/**
 * `cos-sign/sync`: a synchronous {@link HashBackend} for runtimes without `crypto.subtle` (pages served
 * over plain http://, some embedded webviews and mini-program runtimes), over the audited
 * `@noble/hashes` SHA-1 and HMAC. Only those who import this entry pay for it.
 *
 * @example
 * ```ts
 * import { CosSigner } from 'cos-sign';
 * import { syncBackend } from 'cos-sign/sync';
 * const signer = new CosSigner({ region: 'ap-guangzhou', credentials, backend: syncBackend });
 * ```
 * @module
 */
import { hmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha1, type _SHA1 } from '@noble/hashes/legacy.js';
import { hex, type HashBackend } from './crypto.js';

export type { HashBackend } from './crypto.js';

type Hmac = _HMAC<_SHA1>;

// Every call runs to completion synchronously, so one set of scratch objects serves them all: the
// hashes are cloned into them and the digests written into them instead of allocating per call.
const te = new TextEncoder();
let bytes = new Uint8Array(512);
const out = new Uint8Array(20);
const fresh = sha1.create() as _SHA1;
const sha = sha1.create() as _SHA1;
let mac: Hmac | undefined;

/** The UTF-8 bytes of `s`, in the shared buffer (valid until the next call). */
const utf8 = (s: string): Uint8Array => {
  for (;;) {
    const r = te.encodeInto(s, bytes);
    if (r.read === s.length) return bytes.subarray(0, r.written);
    bytes = new Uint8Array(s.length * 3);
  }
};

/**
 * SHA-1 and HMAC-SHA1 in plain JavaScript, no WebCrypto needed. A prepared key is the HMAC state
 * after the padded key blocks, so each signature hashes only its message.
 */
export const syncBackend: HashBackend = {
  key: (secret) => {
    const k = te.encode(secret);
    const h = hmac.create(sha1, k) as Hmac;
    k.fill(0);
    return h;
  },
  hmac: (key, data) => {
    mac = (key as Hmac)._cloneInto(mac);
    mac.update(utf8(data)).digestInto(out);
    return hex(out);
  },
  sha1: (data) => {
    fresh._cloneInto(sha).update(utf8(data)).digestInto(out);
    return hex(out);
  },
};
