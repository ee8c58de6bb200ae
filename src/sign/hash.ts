import { fail } from '../core/errors.js';

/**
 * The hashing a signature needs: SHA-1 and HMAC-SHA1, lowercase hex out. The default is
 * the WebCrypto one (`crypto.subtle`); `cos-sign/sync` has a synchronous one for runtimes without
 * `crypto.subtle`. `K` is whatever the backend keeps for a prepared HMAC key.
 */
export interface HashBackend<K = unknown> {
  /** Prepares an HMAC-SHA1 key from the UTF-8 bytes of `secret`. */
  key(secret: string): K | PromiseLike<K>;
  /** Lowercase hex HMAC-SHA1 of the UTF-8 bytes of `data`. */
  hmac(key: K, data: string): string | PromiseLike<string>;
  /** Lowercase hex SHA-1 of the UTF-8 bytes of `data`. */
  sha1(data: string): string | PromiseLike<string>;
}

/** Whether `v` is a promise (or another thenable) rather than a value. */
export const thenable = (v: unknown): v is PromiseLike<unknown> =>
  !!v && typeof (v as PromiseLike<unknown>).then == 'function';

/**
 * `f(v)`, once `v` settles if it is a promise: keeps synchronous backends synchronous. (Not named `then`: a module
 * exporting `then` is itself a thenable to `import()`.)
 */
export const after = <T, R>(v: T | PromiseLike<T>, f: (v: T) => R | PromiseLike<R>): R | PromiseLike<R> =>
  thenable(v) ? v.then(f) : f(v);

let TE: TextEncoder | undefined;
let BUF = new Uint8Array();
/**
 * The UTF-8 bytes of `s`, in one buffer shared by all calls (valid until the next one): WebCrypto copies
 * its input when called, and the synchronous backend hashes it at once, so a signature allocates no
 * buffers for its input. Key bytes passing through are overwritten by the same signature's next call
 * (the StringToSign is longer than a key).
 */
export const utf8 = (s: string): Uint8Array<ArrayBuffer> => {
  if (BUF.length < s.length * 3) BUF = new Uint8Array(s.length * 3);
  return BUF.subarray(0, (TE ||= new TextEncoder()).encodeInto(s, BUF).written);
};

/** The character codes of a hex string being made (shared: `hex` runs to completion). */
const CODES: number[] = [];
/** Lowercase hex of bytes, made as one string (not 40 concatenated pieces). */
export const hex = (buf: ArrayBuffer | Uint8Array): string => {
  let i = 0;
  for (const b of new Uint8Array(buf as ArrayBuffer)) (CODES[i++] = b >> 4), (CODES[i++] = b & 15);
  CODES.length = i;
  while (i--) CODES[i] += CODES[i] < 10 ? 48 : 87;
  return String.fromCharCode.apply(0, CODES);
};

/**
 * The WebCrypto backend: `subtle` is `globalThis.crypto.subtle` unless given. Refuses with
 * `ERR_CRYPTO_UNAVAILABLE` where there is none.
 */
export const subtleBackend = (subtle?: SubtleCrypto): HashBackend<CryptoKey> => {
  const s = subtle || globalThis.crypto?.subtle;
  if (!s)
    fail(
      'ERR_CRYPTO_UNAVAILABLE',
      'no crypto.subtle: plain http is not a secure context; pass the `crypto` option or use cos-sign/sync',
    );
  return {
    key: (secret) => s!.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']),
    hmac: (key, data) => s!.sign('HMAC', key, utf8(data)).then(hex),
    sha1: (data) => s!.digest('SHA-1', utf8(data)).then(hex),
  };
};
