// cos-sign/sync's backend against node:crypto (an implementation this project did not write) over
// generated input: UTF-8 of any code point, messages across SHA-1's 64-byte block boundaries and longer
// than the backend's shared buffer, keys longer than a block; prepared keys used interleaved (the backend
// reuses scratch state between calls). Then whole signatures: the sync backend signs exactly as the
// default SubtleCrypto backend does, for generated requests.
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CosSigner } from '../src/index.js';
import { subtleBackend } from '../src/sign/hash.js';
import { syncBackend } from '../src/sync.js';

const text = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: fc.constantFrom('a', '\n', ';', '中', '😀'), minLength: 50, maxLength: 1200 }),
    fc.integer({ min: 0, max: 300 }).map((n) => 'x'.repeat(n)),
  )
  .filter((s) => s.isWellFormed());

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');
const hmac = (k: string, s: string) => createHmac('sha1', Buffer.from(k, 'utf8')).update(s, 'utf8').digest('hex');

describe('syncBackend vs node:crypto', () => {
  it('SHA-1 and HMAC-SHA1 of known vectors (RFC 3174, RFC 2202)', () => {
    expect(syncBackend.sha1('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(syncBackend.sha1('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(syncBackend.hmac(syncBackend.key('Jefe'), 'what do ya want for nothing?')).toBe(
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    );
  });

  it('is synchronous: plain strings, no promises', () => {
    expect(typeof syncBackend.sha1('a')).toBe('string');
    expect(typeof syncBackend.hmac(syncBackend.key('k'), 'a')).toBe('string');
  });

  it('agrees on 1,000 generated messages and keys, keys used interleaved', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            text.filter((k) => k.length > 0),
            text,
          ),
          { minLength: 1, maxLength: 4 },
        ),
        text,
        (pairs, m) => {
          const keys = pairs.map(([k]) => syncBackend.key(k));
          // Use every prepared key twice, interleaved with other keys and plain hashes.
          for (let round = 0; round < 2; round++)
            pairs.forEach(([k, msg], i) => {
              expect(syncBackend.hmac(keys[i], msg)).toBe(hmac(k, msg));
              expect(syncBackend.sha1(m + msg)).toBe(sha1(m + msg));
            });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('agrees with the SubtleCrypto backend', async () => {
    const subtle = subtleBackend();
    await fc.assert(
      fc.asyncProperty(
        text.filter((k) => k.length > 0),
        text,
        async (k, m) => {
          expect(syncBackend.sha1(m)).toBe(await subtle.sha1(m));
          expect(syncBackend.hmac(syncBackend.key(k), m)).toBe(await subtle.hmac(await subtle.key(k), m));
        },
      ),
      { numRuns: 300 },
    );
  });
});

const request = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'post', 'DELETE', 'HEAD'),
  key: fc
    .string({
      unit: fc.constantFrom('a', 'Z', '/', ' ', '中', '😀', '+', '%', '~', '!', '*'),
      minLength: 1,
      maxLength: 30,
    })
    .filter((k) => !/^\/?\.{1,2}$/.test(k)),
  params: fc.dictionary(
    fc.string({ unit: fc.constantFrom(...'abcXYZ-_.~'), minLength: 1, maxLength: 6 }),
    fc.string({ maxLength: 10 }),
    { maxKeys: 3 },
  ),
  headers: fc.dictionary(
    fc.constantFrom('Content-Type', 'x-cos-meta-a', 'Range', 'x-ci-b'),
    fc.string({ unit: fc.constantFrom('a', '1', '=', ';', '中'), minLength: 1, maxLength: 8 }),
    { maxKeys: 3 },
  ),
  expires: fc.integer({ min: 1, max: 86400 }),
  now: fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }),
  secretKey: fc.string({ unit: fc.constantFrom(...'abcXYZ0189+/=中'), minLength: 1, maxLength: 80 }),
  securityToken: fc.option(fc.string({ unit: fc.constantFrom(...'abcXYZ0189+/='), minLength: 1, maxLength: 40 }), {
    nil: undefined,
  }),
});

describe('signatures with cos-sign/sync', () => {
  it('equal the SubtleCrypto backend on 500 generated requests (getAuth, getPresignedUrl)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ secretKey, securityToken, now, ...r }) => {
        const credentials = { secretId: 'AKIDexample0123', secretKey, ...(securityToken && { securityToken }) };
        const a = new CosSigner({ region: 'ap-guangzhou', credentials });
        const b = new CosSigner({ region: 'ap-guangzhou', credentials, backend: syncBackend });
        const o = { ...r, bucket: 'examplebucket-1250000000', now: new Date(now) };
        expect(await b.getAuth(o)).toBe(await a.getAuth(o));
        expect(await b.getPresignedUrl(o)).toBe(await a.getPresignedUrl(o));
      }),
      { numRuns: 500 },
    );
  });
});
