/**
 * `cos-sign/sync`: a synchronous {@link HashBackend} for runtimes without `crypto.subtle` (pages served
 * over plain http://, some embedded webviews and mini-program runtimes): SHA-1 (FIPS 180-4) and
 * HMAC-SHA1 (RFC 2104) in plain JavaScript, with no dependency. Only those who import this entry pay
 * for it.
 *
 * @example
 * ```ts
 * import { CosSigner } from 'cos-sign';
 * import { syncBackend } from 'cos-sign/sync';
 * const signer = new CosSigner({ region: 'ap-guangzhou', credentials, backend: syncBackend });
 * ```
 * @module
 */
import { hex, utf8, type HashBackend } from './sign/hash.js';

export type { HashBackend } from './sign/hash.js';

// Every call runs to completion synchronously, so one set of scratch arrays serves them all: a
// signature allocates nothing but its hex strings.
/** The message schedule of one block. */
const W = new Int32Array(80);
/** The running state (five 32-bit words). */
const H = new Int32Array(5);
/** The last block or two: the message's tail, then the padding and the length. */
const TAIL = new Uint8Array(128);
/** The digest as bytes, for `hex`. */
const OUT = new Uint8Array(20);
/** SHA-1's initial state. */
const IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/** SHA-1's compression of the 64-byte blocks of `b` in [at, end) into `H`. */
const blocks = (b: Uint8Array, at: number, end: number) => {
  for (; at < end; at += 64) {
    for (let i = 0; i < 16; i++) {
      const j = at + 4 * i;
      W[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = H[0];
    let b1 = H[1];
    let c = H[2];
    let d = H[3];
    let e = H[4];
    // The four rounds of 20 steps, each with its function and constant.
    for (let i = 0; i < 80; i++) {
      const f =
        i < 40
          ? i < 20
            ? ((b1 & c) | (~b1 & d)) + 0x5a827999
            : (b1 ^ c ^ d) + 0x6ed9eba1
          : i < 60
            ? ((b1 & c) | (b1 & d) | (c & d)) + 0x8f1bbcdc
            : (b1 ^ c ^ d) + 0xca62c1d6;
      const t = (((a << 5) | (a >>> 27)) + f + e + W[i]) | 0;
      e = d;
      d = c;
      c = (b1 << 30) | (b1 >>> 2);
      b1 = a;
      a = t;
    }
    H[0] += a;
    H[1] += b1;
    H[2] += c;
    H[3] += d;
    H[4] += e;
  }
};

/**
 * Hashes `m` into `H`, which holds the state after `prefix` bytes already hashed (0, or HMAC's 64-byte
 * pad block), then pads (0x80, zeros, the bit length) and writes the digest into `OUT`.
 */
const finish = (m: Uint8Array, prefix: number) => {
  const n = m.length;
  const full = n - (n % 64);
  blocks(m, 0, full);
  const r = n - full;
  TAIL.set(m.subarray(full));
  TAIL.fill(0, r);
  TAIL[r] = 0x80;
  const end = r < 56 ? 64 : 128;
  const bits = (prefix + n) * 8;
  for (let i = 1; i <= 8; i++) TAIL[end - i] = i > 4 ? (bits / 2 ** 32) >>> (8 * (i - 5)) : bits >>> (8 * (i - 1));
  blocks(TAIL, 0, end);
  for (let i = 0; i < 20; i++) OUT[i] = H[i >> 2] >>> (24 - 8 * (i & 3));
  return OUT;
};

/** `H` after one 64-byte block of the key XOR `x` (HMAC's ipad or opad). */
const padState = (key: Uint8Array, x: number): number[] => {
  H.set(IV);
  for (let i = 0; i < 64; i++) TAIL[i] = (key[i] ?? 0) ^ x;
  blocks(TAIL, 0, 64);
  return [...H];
};

/**
 * SHA-1 and HMAC-SHA1, no WebCrypto needed. A prepared key is the state after each of HMAC's two pad
 * blocks, so each signature hashes only its message. Checked against node:crypto and the RFC vectors
 * (test/sync.test.ts) and by the reference vectors, which run through it too.
 */
export const syncBackend: HashBackend<number[][]> = {
  key: (secret) => {
    let k = new TextEncoder().encode(secret);
    if (k.length > 64) {
      H.set(IV);
      const long = k;
      k = finish(k, 0).slice();
      long.fill(0);
    }
    const states = [padState(k, 0x36), padState(k, 0x5c)];
    k.fill(0);
    TAIL.fill(0);
    return states;
  },
  hmac: (key, data) => {
    H.set(key[0]);
    const inner = finish(utf8(data), 64);
    H.set(key[1]);
    return hex(finish(inner, 64));
  },
  sha1: (data) => {
    H.set(IV);
    return hex(finish(utf8(data), 0));
  },
};
