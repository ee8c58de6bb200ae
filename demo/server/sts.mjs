// Temporary credentials for the page, in the shape the official STS SDK (qcloud-cos-sts) returns:
// { credentials: { tmpSecretId, tmpSecretKey, sessionToken }, startTime, expiredTime, expiration }.
// Local mode mints them in-process and registers them with the local COS server; real mode asks
// Tencent Cloud STS with the permanent key (through cos-sign/sts), scoped to one bucket and one key prefix.
import { randomBytes } from 'node:crypto';

const alnum = (n) =>
  randomBytes(n * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, n);

/** Mints temporary keys that `cos` (a local COS server) accepts until they expire. */
export const localSts = (cos, ttlSeconds) => {
  let issued = 0;
  const issue = () => {
    const nowMs = cos.now();
    const startTime = Math.floor(nowMs / 1000);
    const expiredTime = startTime + ttlSeconds;
    const tmpSecretId = 'AKIDtmp' + alnum(29);
    const tmpSecretKey = alnum(32);
    const sessionToken = alnum(120);
    // Forget keys that expired long ago (those only just expired still answer ExpiredToken).
    for (const [id, k] of cos.keys) if (k.expiresAt !== undefined && k.expiresAt < nowMs - 600_000) cos.keys.delete(id);
    cos.addKey(tmpSecretId, tmpSecretKey, { token: sessionToken, expiresAt: expiredTime * 1000 });
    issued++;
    return {
      credentials: { tmpSecretId, tmpSecretKey, sessionToken },
      requestId: randomBytes(16).toString('hex'),
      expiration: new Date(expiredTime * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      startTime,
      expiredTime,
    };
  };
  return {
    issue,
    get issued() {
      return issued;
    },
  };
};

/** The actions the demo page needs, and nothing more. */
export const PAGE_ACTIONS = [
  'name/cos:PutObject',
  'name/cos:PostObject',
  'name/cos:GetObject',
  'name/cos:HeadObject',
  'name/cos:DeleteObject',
  // Large files go multipart (upload() above the threshold, and the Uppy page).
  'name/cos:InitiateMultipartUpload',
  'name/cos:UploadPart',
  'name/cos:ListParts',
  'name/cos:CompleteMultipartUpload',
  'name/cos:AbortMultipartUpload',
];

/**
 * The least-privilege policy for the page: object actions on `${prefix}*` of one bucket, and listing
 * that bucket only under the prefix (the cos:prefix condition).
 */
export const pagePolicy = ({ bucket, region, prefix }) => {
  const dash = bucket.lastIndexOf('-');
  const appId = bucket.slice(dash + 1);
  const short = bucket.slice(0, dash);
  const base = `qcs::cos:${region}:uid/${appId}:prefix//${appId}/${short}/`;
  return {
    version: '2.0',
    statement: [
      { action: PAGE_ACTIONS, effect: 'allow', principal: { qcs: ['*'] }, resource: [`${base}${prefix}*`] },
      {
        action: ['name/cos:GetBucket'],
        effect: 'allow',
        principal: { qcs: ['*'] },
        resource: [base],
        condition: { string_like: { 'cos:prefix': `${prefix}*` } },
      },
    ],
  };
};

/**
 * Real Tencent Cloud STS through cos-sign/sts (dist/sts.mjs: GetFederationToken, API 3.0, signed with
 * the permanent key over WebCrypto). `endpoint` (optional) replaces https://sts.tencentcloudapi.com.
 * The answer keeps the official STS SDK's shape (startTime = expiredTime − duration, as it computes).
 */
export const realSts = ({ secretId, secretKey, bucket, region, prefix, ttlSeconds, endpoint }) => {
  let issued = 0;
  let sts;
  const policy = pagePolicy({ bucket, region, prefix });
  const issue = async () => {
    sts ??= await import('../../dist/sts.mjs').catch(() => {
      throw new Error('dist/sts.mjs is missing: run `npm run build` first (npm run demo does)');
    });
    const c = await sts.getFederationToken({
      secretId,
      secretKey,
      region,
      durationSeconds: ttlSeconds,
      policy,
      ...(endpoint && { endpoint }),
    });
    issued++;
    const expiredTime = Math.floor(c.expiration.getTime() / 1000);
    return {
      credentials: { tmpSecretId: c.secretId, tmpSecretKey: c.secretKey, sessionToken: c.securityToken },
      expiration: c.expiration.toISOString().replace(/\.\d+Z$/, 'Z'),
      startTime: expiredTime - ttlSeconds,
      expiredTime,
    };
  };
  return {
    issue,
    policy,
    get issued() {
      return issued;
    },
  };
};
