// Differential property test: cos-sign's Authorization against the official cos-nodejs-sdk-v5's
// COS.getAuthorization, an implementation this project did not write, over 2,000+ generated requests.
//
// Restricted to where the SDKs agree (docs/signing.md §7): the Node SDK sorts the HttpString by the raw
// lowercased name but q-url-param-list by the encoded one, so param and header NAMES are drawn from
// characters that encoding leaves alone (A-Z a-z 0-9 - _ . ~), where both orders coincide; header names
// are whitelisted ones or start with x-cos-/x-ci- (the Node SDK matches those as substrings); header values
// are non-empty. Its window is now-1 s, so the key time is passed to it explicitly (KeyTime). Keys and
// param values range over unicode, spaces, reserved characters, `//` and dot segments.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import COS from 'cos-nodejs-sdk-v5';
import { CosSigner } from '../src/index.js';
import { syncBackend } from '../src/sync.js';

const keyChar = fc.constantFrom(
  'a',
  'Z',
  '0',
  ' ',
  '+',
  '?',
  '#',
  '%',
  '&',
  '=',
  ';',
  ':',
  '@',
  ',',
  '$',
  '~',
  '*',
  '!',
  "'",
  '(',
  ')',
  '[',
  ']',
  '\\',
  '^',
  '`',
  '"',
  '<',
  '>',
  '{',
  '}',
  '|',
  '中',
  '文',
  'é',
  'Ä',
  '😀',
  '\u3000',
);
const segment = fc.oneof(
  fc.constantFrom('', '.', '..', '%2E', '%20'),
  fc.string({ unit: keyChar, minLength: 1, maxLength: 6 }),
);
const key = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((s) => s.join('/'))
  .filter((k) => k.length > 0);
const name = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~'), minLength: 1, maxLength: 8 });
const value = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => s.isWellFormed());
const lowerUnique = (o: Record<string, string>) =>
  new Set(Object.keys(o).map((k) => k.toLowerCase())).size === Object.keys(o).length;
const params = fc.dictionary(name, value, { maxKeys: 4 }).filter(lowerUnique);
const headerName = fc.oneof(
  fc.constantFrom(
    'Content-Type',
    'content-md5',
    'Cache-Control',
    'Range',
    'If-Match',
    'x-cos-storage-class',
    'X-COS-TRAFFIC-LIMIT',
    'x-ci-trace',
    'Content-Disposition',
    'Origin',
    'Expires',
  ),
  name.map((n) => 'x-cos-meta-' + n),
);
const headerValue = fc
  .string({
    unit: fc.constantFrom('a', 'B', '1', ' ', '=', ';', '/', '"', '中', 'é', '😀', '%', '+', '&'),
    minLength: 1,
    maxLength: 10,
  })
  .map((s) => s.trim())
  .filter((s) => s.length > 0);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 4 }).filter(lowerUnique);

const request = fc.record({
  method: fc.constantFrom('GET', 'put', 'Post', 'DELETE', 'head'),
  bucket: fc.constantFrom('examplebucket-1250000000', 'a1-1300000000', 'x-y-z-1250000001'),
  region: fc.constantFrom('ap-guangzhou', 'ap-beijing', 'na-siliconvalley'),
  key,
  params,
  headers,
  expires: fc.integer({ min: 1, max: 7 * 86400 }),
  now: fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }),
  signHost: fc.boolean(),
  secretId: fc.string({ unit: fc.constantFrom(...'AKIDabc0123456789XYZ'), minLength: 8, maxLength: 36 }),
  secretKey: fc.string({ unit: fc.constantFrom(...'abcdefXYZ0123456789+/=_-中'), minLength: 8, maxLength: 40 }),
});

describe('differential: cos-sign vs cos-nodejs-sdk-v5 COS.getAuthorization', () => {
  for (const [name, backend] of [
    ['SubtleCrypto', undefined],
    ['cos-sign/sync', syncBackend],
  ] as const)
    it(`agrees on 2,000 generated requests (${name} backend)`, async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          runs++;
          const signer = new CosSigner({
            region: r.region,
            credentials: { secretId: r.secretId, secretKey: r.secretKey },
            backend,
          });
          const auth = await signer.getAuth({ ...r, now: new Date(r.now) });
          const t = Math.floor(r.now / 1000);
          const host = `${r.bucket}.cos.${r.region}.myqcloud.com`;
          const oracle = COS.getAuthorization({
            SecretId: r.secretId,
            SecretKey: r.secretKey,
            Method: r.method,
            Key: r.key,
            Query: { ...r.params },
            Headers: r.signHost ? { ...r.headers, Host: host } : { ...r.headers },
            KeyTime: `${t - 60};${t + r.expires}`,
          } as any);
          expect(auth).toBe(oracle);
        }),
        { numRuns: 2000 },
      );
      expect(runs).toBeGreaterThanOrEqual(2000);
    });

  it('presigned URLs carry exactly the key and params through WHATWG URL parsing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const signer = new CosSigner({
          region: r.region,
          credentials: { secretId: r.secretId, secretKey: r.secretKey, securityToken: 'tok+/= en' },
        });
        let url: string;
        try {
          url = await signer.getPresignedUrl({ ...r, now: new Date(r.now) });
        } catch (e: any) {
          // Only keys that are a lone dot segment have no URL form.
          expect(e.code).toBe('ERR_INVALID_KEY');
          expect(['.', '..', '/.', '/..']).toContain(r.key);
          return;
        }
        const u = new URL(url);
        expect(u.host).toBe(`${r.bucket}.cos.${r.region}.myqcloud.com`);
        expect(decodeURIComponent(u.pathname)).toBe(r.key[0] === '/' ? r.key : '/' + r.key);
        const q = Object.fromEntries(u.searchParams);
        expect(q['x-cos-security-token']).toBe('tok+/= en');
        for (const [k, v] of Object.entries(r.params)) expect(q[k]).toBe(v);
        expect(q['q-url-param-list']!.split(';').filter(Boolean).sort()).toEqual(
          [...Object.keys(r.params).map((k) => k.toLowerCase()), 'x-cos-security-token'].sort(),
        );
      }),
      { numRuns: 500 },
    );
  });
});
