// Deterministic pseudo-random bytes (xorshift32 from a seed), the same in Node and in a page: the CRC-64
// and upload benchmarks (bench/crc.mjs, bench/verify.mjs) make their 256 MiB in the browser from a seed,
// and Node makes the same bytes to know their CRC-64 and MD5 without copying them across the protocol.

/** Fills `bytes` (a Uint8Array) from `seed` (a non-zero 32-bit integer); returns it. */
export const fillBytes = (bytes, seed = 0x9e3779b9) => {
  let x = seed | 0 || 1;
  const words = bytes.length >>> 2;
  const aligned = bytes.byteOffset % 4 == 0;
  const w = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset, words) : undefined;
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    if (w) w[i] = x;
    else for (let k = 0; k < 4; k++) bytes[4 * i + k] = x >>> (8 * k);
  }
  for (let i = words * 4; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
  }
  return bytes;
};
