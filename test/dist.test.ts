// The built files sign exactly like the source: the ESM file, require() of the CommonJS file, and the
// minified UMD file run as a classic browser script (global `CosSign`). `npm run build` first.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as src from '../src/index.js';
import * as esm from '../dist/cos-sign.mjs';

const require = createRequire(import.meta.url);
const cjs = require('../dist/cos-sign.cjs');
const umdWindow: Record<string, any> = {
  crypto: globalThis.crypto,
  TextEncoder,
  URL,
  Headers,
  Request,
  Response,
  setTimeout,
  clearTimeout,
  btoa,
};
umdWindow.self = umdWindow;
runInNewContext(
  readFileSync(fileURLToPath(import.meta.url).replace(/test[\\/]dist\.test\.ts$/, 'dist/cos-sign.umd.js'), 'utf8'),
  umdWindow,
);
const umd = umdWindow.CosSign;

const opts = {
  method: 'PUT',
  bucket: 'examplebucket-1250000000',
  key: '中文/a b+c.txt',
  params: { 'x-cos-traffic-limit': '819200' },
  headers: { 'Content-Type': 'image/png' },
  expires: 600,
  now: new Date('2026-01-01T00:00:00Z'),
};
const credentials = { secretId: 'AKIDexample', secretKey: 'secret', securityToken: 'tok' };

describe.each([
  ['ESM dist/cos-sign.mjs', esm],
  ['CommonJS dist/cos-sign.cjs via require()', cjs],
  ['UMD dist/cos-sign.umd.js as a classic script (global CosSign)', umd],
])('%s', (_, lib) => {
  it('exports the public API', () => {
    expect(Object.keys(lib).sort()).toEqual(Object.keys(src).sort());
  });

  it('signs like the source: getAuth, getPresignedUrl, getPostPolicy, signRequest', async () => {
    const ours = new src.CosSigner({ region: 'ap-guangzhou', credentials });
    const theirs = new lib.CosSigner({ region: 'ap-guangzhou', credentials });
    expect(await theirs.getAuth(opts)).toBe(await ours.getAuth(opts));
    expect(await theirs.getPresignedUrl(opts)).toBe(await ours.getPresignedUrl(opts));
    const policy = {
      bucket: opts.bucket,
      keyPrefix: 'u/',
      contentLengthRange: [1, 100] as [number, number],
      now: opts.now,
    };
    expect(await lib.getPostPolicy(theirs, policy)).toEqual(await src.getPostPolicy(ours, policy));
    const req = () =>
      new Request(`https://${opts.bucket}.cos.ap-guangzhou.myqcloud.com/a?acl`, { method: 'PUT', body: 'x' });
    const a = await lib.signRequest(theirs, req(), { now: opts.now });
    const b = await src.signRequest(ours, req(), { now: opts.now });
    expect(a.headers.get('authorization')).toBe(b.headers.get('authorization'));
  });

  it('refuses with its own CosSignError class and a stable code', async () => {
    const e = await new lib.CosSigner({ region: 'ap-guangzhou', credentials })
      .getAuth({ ...opts, key: '' })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(lib.CosSignError);
    expect(e.code).toBe('ERR_INVALID_KEY');
  });
});
