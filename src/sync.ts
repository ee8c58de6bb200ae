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
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { hex, utf8, type HashBackend } from './sign/hash.js';

export type { HashBackend } from './sign/hash.js';

/** A prepared key: the HMAC state after the padded key block. */
type Hmac = ReturnType<typeof hmac.create>;

/**
 * SHA-1 and HMAC-SHA1 in plain JavaScript, no WebCrypto needed. A prepared key is the HMAC state
 * after the padded key blocks, cloned for each signature, so each one hashes only its message.
 */
export const syncBackend: HashBackend = {
  key: (secret) => {
    const k = new TextEncoder().encode(secret);
    const h = hmac.create(sha1, k);
    k.fill(0);
    return h;
  },
  hmac: (key, data) => hex((key as Hmac).clone().update(utf8(data)).digest()),
  sha1: (data) => hex(sha1(utf8(data))),
};
