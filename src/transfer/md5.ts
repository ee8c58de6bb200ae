/**
 * MD5 (RFC 1321), for one job: checking a resumed upload's parts against their ETags, which COS gives as
 * the plain MD5 of the part. WebCrypto has no MD5, and this runs only on a resume, only over the parts
 * that are kept. Four rounds of sixteen steps, each round its own loop over the 16 little-endian words
 * of the block.
 */

/** One 64-byte block at `o` of `v` into the state `s`. Its tables live in its closure (see crc64.ts). */
const block: (s: Int32Array, v: DataView, o: number) => void = /* @__PURE__ */ (() => {
  /** The sines: K[i] = floor(2^32 · |sin(i + 1)|). */
  const K = new Int32Array(64);
  for (let i = 0; i < 64; i++) K[i] = Math.floor(2 ** 32 * Math.abs(Math.sin(i + 1))) | 0;
  /** Shifts, four per round. */
  const S = new Int32Array([7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]);
  const W = new Int32Array(16);
  return (s: Int32Array, v: DataView, o: number) => {
    for (let i = 0; i < 16; i++) W[i] = v.getInt32(o + 4 * i, true);
    let a = s[0]!;
    let b = s[1]!;
    let c = s[2]!;
    let d = s[3]!;
    let t: number;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) (f = d ^ (b & (c ^ d))), (g = i);
      else if (i < 32) (f = c ^ (d & (b ^ c))), (g = (5 * i + 1) & 15);
      else if (i < 48) (f = b ^ c ^ d), (g = (3 * i + 5) & 15);
      else (f = c ^ (b | ~d)), (g = (7 * i) & 15);
      const r = S[((i >> 4) << 2) | (i & 3)]!;
      t = (a + f + K[i]! + W[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
    }
    s[0] = (s[0]! + a) | 0;
    s[1] = (s[1]! + b) | 0;
    s[2] = (s[2]! + c) | 0;
    s[3] = (s[3]! + d) | 0;
  };
})();

/** The MD5 of `bytes`, 32 lowercase hex digits. @internal */
export const md5 = (bytes: Uint8Array): string => {
  const s = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  const n = bytes.length;
  const whole = n - (n % 64);
  if (whole) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, whole);
    for (let o = 0; o < whole; o += 64) block(s, v, o);
  }
  // The tail, 0x80, zeros, and the length in bits (64-bit little-endian): one or two blocks.
  const tail = new Uint8Array(n % 64 < 56 ? 64 : 128);
  tail.set(bytes.subarray(whole));
  tail[n % 64] = 0x80;
  const v = new DataView(tail.buffer);
  v.setUint32(tail.length - 8, (n * 8) >>> 0, true);
  v.setUint32(tail.length - 4, Math.floor(n / 2 ** 29), true);
  for (let o = 0; o < tail.length; o += 64) block(s, v, o);
  let hex = '';
  for (let i = 0; i < 16; i++) hex += ((new Uint8Array(s.buffer)[i]! >>> 0) + 256).toString(16).slice(1);
  return hex;
};
