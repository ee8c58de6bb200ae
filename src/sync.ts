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
import { hex, type HashBackend } from './crypto.js';

export type { HashBackend } from './crypto.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * SHA-1 and HMAC-SHA1 in plain JavaScript, no WebCrypto needed. A prepared key keeps the HMAC state
 * after its padded key block, so each signature hashes only the message.
 */
export const syncBackend: HashBackend = {
  key: (secret) => hmac.create(sha1, utf8(secret)),
  hmac: (key, data) => hex((key as ReturnType<typeof hmac.create>).clone().update(utf8(data)).digest()),
  sha1: (data) => hex(sha1(utf8(data))),
};
