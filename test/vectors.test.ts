// Every case of the official Python SDK's reference vectors (test/fixtures/python-sdk.jsonl, see
// VECTORS.md beside it): Authorization byte for byte; URLs by meaning (scheme, host, decoded path,
// multiset of decoded query parameters); SDK refusals refused; `mayRefuse` cases either match or refuse.
// Every case runs on both hash backends: the default SubtleCrypto one and cos-sign/sync's.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CosSigner, CosSignError, type HashBackend } from '../src/index.js';
import { syncBackend } from '../src/sync.js';
// @ts-expect-error plain JS without types
import { parseVectors, urlMeaning } from './conformance/suite.mjs';

interface Vector {
  id: string;
  desc: string;
  signer: Record<string, any>;
  request: Record<string, any>;
  expect: { authorization?: string; presignedUrl?: string; presignedDownloadUrl?: string | null; error?: string };
  mayRefuse?: string;
}

const vectors: Vector[] = parseVectors(
  readFileSync(fileURLToPath(import.meta.url).replace(/vectors\.test\.ts$/, 'fixtures/python-sdk.jsonl'), 'utf8'),
);

const backends: [string, HashBackend | undefined][] = [
  ['SubtleCrypto', undefined],
  ['cos-sign/sync', syncBackend],
];

const run = async (
  v: Vector,
  what: 'auth' | 'url' | 'download',
  backend: HashBackend | undefined,
  tokenAsCredential = false,
) => {
  const s = { ...v.signer, credentials: { ...v.signer.credentials }, backend };
  const r = { ...v.request, params: { ...v.request.params } };
  if (r.now) r.now = new Date(r.now);
  if (tokenAsCredential) {
    s.credentials.securityToken = r.params['x-cos-security-token'];
    delete r.params['x-cos-security-token'];
  }
  const signer = new CosSigner(s as any);
  if (what === 'auth') return signer.getAuth(r as any);
  if (what === 'url') return signer.getPresignedUrl(r as any);
  const { method, ...rest } = r;
  return signer.getPresignedDownloadUrl(rest as any);
};

/** Runs `f`; returns its result, or the CosSignError it threw (anything else fails the test). */
const attempt = async (f: () => Promise<string>) => {
  try {
    return await f();
  } catch (e) {
    expect(e).toBeInstanceOf(CosSignError);
    expect((e as CosSignError).code).toMatch(/^ERR_[A-Z_]+$/);
    return e as CosSignError;
  }
};

it('has all 529 Python SDK reference vectors', () => expect(vectors.length).toBe(529));

for (const [name, backend] of backends)
  describe(`Python SDK reference vectors, ${name} backend`, () => {
    for (const v of vectors) {
      it(`${v.id}: ${v.desc}`, async () => {
        if (v.expect.error) {
          await expect(run(v, 'auth', backend)).rejects.toBeInstanceOf(CosSignError);
          await expect(run(v, 'url', backend)).rejects.toBeInstanceOf(CosSignError);
          return;
        }
        const auth = await attempt(() => run(v, 'auth', backend));
        if (auth instanceof CosSignError) {
          expect(v.mayRefuse, `refused a case the SDK signs: ${auth.message}`).toBeDefined();
        } else {
          expect(auth).toBe(v.expect.authorization);
        }
        const url = await attempt(() => run(v, 'url', backend));
        if (url instanceof CosSignError) {
          expect(v.mayRefuse, `refused a URL the SDK makes: ${url.message}`).toBeDefined();
        } else {
          const got = urlMeaning(url);
          const want = urlMeaning(v.expect.presignedUrl!);
          expect({ ...got, host: got.host.toLowerCase() }).toEqual({
            ...want,
            host: want.host.toLowerCase(),
            whatwgPathDecoded: got.whatwgPathDecoded,
          });
          // Our URL must reach COS unchanged through WHATWG URL parsing (the SDK's sometimes does not).
          expect(got.whatwgPathDecoded).toBe(got.rawPathDecoded);
          if (v.request.params['x-cos-security-token'])
            expect(urlMeaning(await run(v, 'url', backend, true))).toEqual(got);
          if (v.expect.presignedDownloadUrl) expect(urlMeaning(await run(v, 'download', backend))).toEqual(got);
        }
      });
    }
  });
