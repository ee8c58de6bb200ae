// cos-sign/server: a local COS for apps' own tests. `startCosServer(options)` starts the COS-compatible
// server (cos-server.mjs: every signature checked by its own code, COS's XML errors) and an STS stand-in
// (cos-sts.mjs) whose temporary keys the server accepts. Node ≥ 18 only; never in a browser bundle.
//
//   import { startCosServer } from 'cos-sign/server';
//   const cos = await startCosServer();
//   const signer = new CosSigner({ domain: cos.domain, scheme: 'http', credentials: cos.credentials });
//   ...
//   await cos.close();
import { randomBytes } from 'node:crypto';
import { createCosServer } from './cos-server.mjs';
import { startStsStandIn } from './cos-sts.mjs';

const alnum = (n) =>
  randomBytes(n * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, n);

/** A key pair shaped like Tencent Cloud's (AKID + 32 characters, a 32-character key). */
export const generateKeyPair = () => ({ secretId: 'AKID' + alnum(32), secretKey: alnum(32) });

/** `match` as `inject` takes it: a function of { method, key, query, bucket }, or fields that must all equal. */
const matcher = (match) => {
  if (match === undefined) return () => true;
  if (typeof match === 'function') return match;
  const test = (want, got) => (want instanceof RegExp ? want.test(got ?? '') : want === got);
  return (info) =>
    (match.method === undefined || test(match.method, info.method)) &&
    (match.key === undefined || test(match.key, info.key)) &&
    (match.bucket === undefined || test(match.bucket, info.bucket)) &&
    Object.entries(match.query ?? {}).every(([k, v]) => test(v, info.query[k]));
};

/**
 * Starts a local COS server (see index.d.ts for every option and member). Binds 127.0.0.1 unless
 * `host` says otherwise; objects in memory unless `dataDir` is given.
 */
export const startCosServer = async ({
  port = 0,
  host = '127.0.0.1',
  dataDir,
  buckets = ['test-1250000000'],
  credentials,
  clockSkew = 0,
  maxObjectSize = 5 * 1024 ** 4,
  cors,
  log,
  sts: stsOptions = {},
} = {}) => {
  const list = credentials ?? [generateKeyPair()];
  if (!Array.isArray(list) || !list.length || list.some((c) => !c?.secretId || !c?.secretKey))
    throw new TypeError('startCosServer: credentials must be a non-empty list of { secretId, secretKey }');
  if (!Number.isFinite(clockSkew)) throw new TypeError('startCosServer: clockSkew must be a number of seconds');
  const cos = await createCosServer({
    buckets,
    dataDir,
    memory: !dataDir,
    clockSkewMs: clockSkew * 1000,
    maxObjectBytes: maxObjectSize,
    ...(cors !== undefined && { cors }),
    log,
  });
  for (const c of list) cos.addKey(c.secretId, c.secretKey);
  let url;
  let sts;
  try {
    url = await cos.listen(port, host);
    sts = await startStsStandIn({
      keys: Object.fromEntries(list.map((c) => [c.secretId, c.secretKey])),
      now: cos.now,
      host,
      port: stsOptions.port ?? 0,
      tls: stsOptions.tls,
      cors: true,
      log,
      onIssue: ({ Credentials: c, ExpiredTime }) =>
        cos.addKey(c.TmpSecretId, c.TmpSecretKey, { token: c.Token, expiresAt: ExpiredTime * 1000 }),
    });
  } catch (e) {
    await cos.close();
    throw e;
  }
  return {
    url,
    domain: url.replace(/^http:\/\//, ''),
    buckets: cos.buckets,
    bucket: cos.bucket,
    credentials: { ...list[0] },
    dataDir: cos.dataDir,
    stsEndpoint: sts.url,
    /** The COS server underneath (createCosServer): history, readObject, listUploads, … for tests. */
    server: cos,
    /** Temporary keys, as STS would give them, that the server accepts until they expire. */
    async issueTemporaryCredentials({ ttlSeconds = 1800 } = {}) {
      if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0))
        throw new TypeError('issueTemporaryCredentials: ttlSeconds must be a positive integer');
      const c = { secretId: 'AKID' + alnum(32), secretKey: alnum(32), securityToken: alnum(120) };
      const expiresAt = Math.floor(cos.now() / 1000 + ttlSeconds) * 1000;
      cos.addKey(c.secretId, c.secretKey, { token: c.securityToken, expiresAt });
      return { ...c, expiration: new Date(expiresAt - (cos.now() - Date.now())) };
    },
    /** Fault injection (see index.d.ts); the createCosServer rule options (cutAfter, flip, crc64…) pass through. */
    inject({ match, cut, when, ...rest } = {}) {
      return cos.inject({ ...rest, when: when ?? matcher(match), ...(cut && { destroy: true }) });
    },
    async close() {
      await Promise.all([cos.close(), sts.close()]);
    },
  };
};
