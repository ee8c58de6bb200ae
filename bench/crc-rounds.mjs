// The timing loop of the CRC-64 benchmark, the same in Node and in the page (bench/crc.html): a warm-up
// over the first 8 MiB, then `rounds` passes of crc64() over the whole buffer, a GC before each when one
// is given. Returns each pass's milliseconds and the CRC (every pass must give the same one).
export const crcRounds = (crc64, data, { rounds = 7, gc } = {}) => {
  crc64(data.subarray(0, 8 << 20));
  const ms = [];
  let crc;
  for (let r = 0; r < rounds; r++) {
    gc?.();
    const t0 = performance.now();
    const got = crc64(data);
    ms.push(performance.now() - t0);
    if (crc !== undefined && got !== crc) throw new Error(`crc64 gave ${got}, then ${crc}, for the same bytes`);
    crc = got;
  }
  return { ms, crc };
};
