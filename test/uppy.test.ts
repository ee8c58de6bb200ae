// uppySignRequest: each request @uppy/aws-s3 6 asks to presign becomes the COS request it stands for,
// and the URL's signature verifies with the demo server's independent verifier for exactly that
// request (method, key, the multipart sub-resources, Content-Type when Uppy gives it). Real Uppy
// uploading through it to the local server: test/e2e.
import { describe, expect, it } from 'vitest';
import { CosSigner, CosSignError, uppySignRequest } from '../src/index.js';
import { verify } from './cos-verify.js';

const secretKey = 'exampleSecretKey0123456789abcdefg';
const bucket = 'examplebucket-1250000000';
const signer = new CosSigner({
  region: 'ap-guangzhou',
  credentials: { secretId: 'AKIDexampleSecretId0123456789ABCDEF', secretKey, securityToken: 'tok' },
});
const sign = uppySignRequest(signer, { bucket, expires: 600 });

const cases: [
  string,
  Parameters<typeof sign>[0],
  string,
  Record<string, string>,
  Record<string, string> | undefined,
][] = [
  [
    'PutObject',
    { method: 'PUT', key: 'u/a b.png', contentType: 'image/png' },
    'PUT',
    {},
    { 'Content-Type': 'image/png' },
  ],
  ['PutObject without a type', { method: 'PUT', key: 'u/a.bin' }, 'PUT', {}, undefined],
  ['Initiate', { method: 'POST', key: 'u/big.mp4' }, 'POST', { uploads: '' }, undefined],
  [
    'Initiate with a type',
    { method: 'POST', key: 'u/big.mp4', contentType: 'video/mp4' },
    'POST',
    { uploads: '' },
    { 'Content-Type': 'video/mp4' },
  ],
  [
    'UploadPart',
    { method: 'PUT', key: 'u/big.mp4', uploadId: 'id+/=1', partNumber: 7 },
    'PUT',
    { uploadId: 'id+/=1', partNumber: '7' },
    undefined,
  ],
  ['ListParts', { method: 'GET', key: 'u/big.mp4', uploadId: 'id1' }, 'GET', { uploadId: 'id1' }, undefined],
  ['Complete', { method: 'POST', key: 'u/big.mp4', uploadId: 'id1' }, 'POST', { uploadId: 'id1' }, undefined],
  ['Abort', { method: 'DELETE', key: 'u/big.mp4', uploadId: 'id1' }, 'DELETE', { uploadId: 'id1' }, undefined],
];

describe('uppySignRequest', () => {
  for (const [what, req, method, params, headers] of cases)
    it(`${what}: ${method} ${req.key}${Object.keys(params).length ? '?' + Object.keys(params).join('&') : ''}`, async () => {
      const r = await sign(req);
      expect(r.headers).toEqual(headers);
      const u = new URL(r.url);
      expect(u.host).toBe(`${bucket}.cos.ap-guangzhou.myqcloud.com`);
      expect(decodeURIComponent(u.pathname)).toBe('/' + req.key);
      const q = Object.fromEntries(u.searchParams);
      expect(q).toMatchObject({ ...params, 'x-cos-security-token': 'tok' });
      const fields = verify({ method, url: r.url, headers: headers ?? {} }, secretKey);
      expect(fields['q-url-param-list'].split(';').sort()).toEqual(
        [...Object.keys(params).map((k) => k.toLowerCase()), 'x-cos-security-token'].sort(),
      );
      expect(fields['q-header-list']).toBe(headers ? 'content-type;host' : 'host');
      const [start, end] = fields['q-key-time'].split(';').map(Number);
      expect(end - start).toBe(660);
      // The same URL for another method, or without the sub-resource, is refused.
      expect(() =>
        verify({ method: method == 'GET' ? 'PUT' : 'GET', url: r.url, headers: headers ?? {} }, secretKey),
      ).toThrow(/SignatureDoesNotMatch/);
    });

  it("Uppy's expiresIn wins over the option", async () => {
    const r = await sign({ method: 'GET', key: 'k', uploadId: 'i', expiresIn: 60 });
    const [start, end] = new URL(r.url).searchParams.get('q-key-time')!.split(';').map(Number);
    expect(end - start).toBe(120);
  });

  it('refuses what cannot be signed, with the usual codes', async () => {
    await expect(sign({ method: 'PATCH', key: 'k' })).rejects.toMatchObject({ code: 'ERR_INVALID_METHOD' });
    await expect(sign({ method: 'PUT', key: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    await expect(sign({ method: 'PUT', key: 'k', contentType: 'a\nb' })).rejects.toBeInstanceOf(CosSignError);
    expect(() => uppySignRequest(signer, null as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});
