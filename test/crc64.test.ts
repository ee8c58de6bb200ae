// crc64() against things this project did not write: COS's check values, Python's crcmod (Debian's
// python3-crcmod, the CRC the official Python SDK checks COS's header with) on random buffers, and a
// bit-at-a-time CRC written here from the definition; incremental use, the combination of part CRCs,
// refusals. md5() against node:crypto.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CosSignError, crc64 } from '../src/index.js';
import { combine, fromDecimal, toDecimal } from '../src/transfer/crc64.js';
import { md5 } from '../src/transfer/md5.js';

/** CRC-64/XZ from its definition: reflected, one bit at a time, BigInt. */
const slowCrc = (b: Uint8Array) => {
  const P = 0xc96c5795d7870f42n;
  let c = 0xffffffffffffffffn;
  for (const x of b) {
    c ^= BigInt(x);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ P : c >> 1n;
  }
  return (c ^ 0xffffffffffffffffn).toString();
};

/** Random buffers of random lengths, some at odd offsets of a larger buffer. */
const buffers = (n: number, max: number) =>
  Array.from({ length: n }, (_, i) => {
    const len = Math.floor(Math.random() ** 2 * max);
    const off = i % 3;
    return new Uint8Array(randomBytes(len + off).buffer, off, len);
  });

const PY = '/usr/bin/python3';
const crcmod = (bufs: Uint8Array[]) => {
  const script =
    'import sys, crcmod\n' +
    'f = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff, rev=True)\n' +
    'for line in sys.stdin: print(f(bytes.fromhex(line.strip())))\n';
  const input = bufs.map((b) => Buffer.from(b).toString('hex')).join('\n') + '\n';
  const r = spawnSync(PY, ['-c', script], { input, maxBuffer: 1 << 26, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n') : undefined;
};
const hasCrcmod = spawnSync(PY, ['-c', 'import crcmod'], { stdio: 'ignore' }).status === 0;
if (!hasCrcmod) {
  if (process.env.COS_SIGN_REQUIRE_ENGINES)
    throw new Error(`${PY} with crcmod is missing (apt-get install python3-crcmod)`);
  console.log(`crc64 vs crcmod skipped: install it with apt-get install python3-crcmod (for ${PY})`);
}

describe('crc64', () => {
  it('gives the check values: "123456789" and empty', () => {
    expect(crc64('123456789')).toBe('11051210869376104954');
    expect(crc64('')).toBe('0');
    expect(crc64(new Uint8Array(0), '12345')).toBe('12345');
  });

  it.skipIf(!hasCrcmod)("agrees with Python's crcmod on 300 random buffers (0 to 200 KiB, odd offsets)", () => {
    const bufs = [...buffers(300, 200_000), new Uint8Array(0), new Uint8Array(15), new Uint8Array(16).fill(255)];
    expect(bufs.map((b) => crc64(b))).toEqual(crcmod(bufs));
  });

  it('agrees with a bit-at-a-time CRC from the definition on 200 random buffers', () => {
    const bufs = buffers(200, 600);
    expect(bufs.map((b) => crc64(b))).toEqual(bufs.map(slowCrc));
  });

  it('takes every kind of bytes and UTF-8 strings alike', () => {
    const b = randomBytes(1000);
    const want = slowCrc(b);
    expect(crc64(b.buffer.slice(b.byteOffset, b.byteOffset + 1000))).toBe(want);
    expect(crc64(new DataView(b.buffer, b.byteOffset, 1000))).toBe(want);
    expect(crc64(new Uint16Array(b.buffer, b.byteOffset, 500))).toBe(want);
    expect(crc64('héllo ✓')).toBe(slowCrc(new TextEncoder().encode('héllo ✓')));
  });

  it('continues from previous: crc64(b, crc64(a)) is crc64(a + b), at every split', () => {
    const ab = randomBytes(300);
    for (let i = 0; i <= 300; i += 7) expect(crc64(ab.subarray(i), crc64(ab.subarray(0, i)))).toBe(crc64(ab));
  });

  it('combines part CRCs without the bytes, on 200 random splits', () => {
    for (let i = 0; i < 200; i++) {
      const a = randomBytes(Math.floor(Math.random() * 5000));
      const b = randomBytes(Math.floor(Math.random() ** 3 * 70000));
      const got = combine(fromDecimal(crc64(a)), fromDecimal(crc64(b)), b.length);
      expect(toDecimal(got)).toBe(crc64(Buffer.concat([a, b])));
    }
  });

  it('refuses a previous that is not a decimal 64-bit CRC, and data that is not bytes', () => {
    for (const bad of ['', '-1', '18446744073709551616', '0x10', 12, 'abc'])
      expect(() => crc64('x', bad as string)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('previous') }),
      );
    expect(crc64('', '18446744073709551615')).toBe('18446744073709551615');
    for (const bad of [undefined, 12, {}, new Blob(['x'])]) expect(() => crc64(bad as string)).toThrow(CosSignError);
  });
});

describe('md5 (resume checks)', () => {
  it('agrees with node:crypto at every length around the block and padding edges, and on 3 MiB', () => {
    for (let n = 0; n < 200; n++) {
      const b = randomBytes(n);
      expect(md5(b), `length ${n}`).toBe(createHash('md5').update(b).digest('hex'));
    }
    const big = new Uint8Array(randomBytes(3 * 1048576 + 5).buffer, 5);
    expect(md5(big)).toBe(createHash('md5').update(big).digest('hex'));
  });
});
