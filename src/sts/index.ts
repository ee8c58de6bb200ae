/**
 * `cos-sign/sts`: mint temporary COS keys from any runtime with `fetch` and WebCrypto — a Cloudflare
 * Worker, a Deno or Bun server, Node ≥ 18 — with Tencent Cloud STS (API 3.0, version 2018-08-13,
 * signed with TC3-HMAC-SHA256 over `crypto.subtle`). {@link cosPolicy} writes the least-privilege
 * policy; {@link getFederationToken} and {@link assumeRole} return {@link Credentials} for a
 * `CosSigner` or for your `/sts` answer. Only those who import this entry pay for it.
 *
 * @example
 * ```ts
 * import { cosPolicy, getFederationToken } from 'cos-sign/sts';
 * const credentials = await getFederationToken({
 *   secretId, secretKey, durationSeconds: 900,
 *   policy: cosPolicy({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', prefix: 'uploads/alice/' }),
 * });
 * ```
 * @module
 */
import { fail, must, show } from '../core/errors.js';
import { is, object, REGION, timeoutSignal, validDate } from '../core/validate.js';
import type { Credentials } from '../sign/credentials.js';
import { tc3Authorization } from './tc3.js';

export { CosSignError } from '../core/errors.js';
export type { CosSignErrorCode } from '../core/errors.js';
export type { Credentials } from '../sign/credentials.js';

/**
 * What {@link getFederationToken} and {@link assumeRole} return: {@link Credentials} with a token and an expiration,
 * always.
 */
export interface TemporaryCredentials extends Credentials {
  /** The session token, sent as `x-cos-security-token`. */
  securityToken: string;
  /** When the keys stop working (STS's `ExpiredTime`). */
  expiration: Date;
}

/**
 * The JSON a `/sts` endpoint answers, in the shape of the official STS SDK (qcloud-cos-sts), which
 * `fetchCredentials` / `fromSts` read in the browser; times in epoch seconds.
 */
export interface StsJson {
  /** The temporary key pair and its session token. */
  credentials: {
    /** The temporary SecretId. */
    tmpSecretId: string;
    /** The temporary SecretKey. */
    tmpSecretKey: string;
    /** The session token. */
    sessionToken: string;
  };
  /** When the keys stop working, in epoch seconds. */
  expiredTime: number;
  /** The same moment as an ISO 8601 string. */
  expiration: string;
}

/** One statement of a {@link CamPolicy}. */
export interface CamStatement {
  /** `allow` or `deny`. */
  effect: string;
  /** CAM action names, e.g. `name/cos:PutObject`. */
  action: string | string[];
  /** Resources, e.g. `qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/uploads/*`. */
  resource: string | string[];
  /** CAM conditions, e.g. `{ string_like: { 'cos:prefix': 'uploads/*' } }`. */
  condition?: Record<string, Record<string, string | string[]>>;
}

/** A CAM policy, the document that limits what temporary keys may do. */
export interface CamPolicy {
  /** Always `2.0`. */
  version: string;
  /** What is allowed (or denied). */
  statement: CamStatement[];
}

/**
 * The actions {@link cosPolicy} allows by default: uploading, by simple PUT, by POST form and by
 * multipart upload (including listing and aborting one's own parts and uploads).
 */
export const COS_UPLOAD_ACTIONS: readonly string[] = [
  'PutObject',
  'PostObject',
  'InitiateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
  'ListMultipartUploads',
];

/** Options of {@link cosPolicy}. Give `prefix` or `keys`. */
export interface CosPolicyOptions {
  /** `BucketName-APPID`, e.g. `examplebucket-1250000000`: the APPID goes into the resource. */
  bucket: string;
  /** The bucket's region, e.g. `ap-guangzhou`. */
  region: string;
  /** The key prefix the keys may act under, e.g. `uploads/alice/`; the resource is `<prefix>*`. */
  prefix?: string;
  /** Exact keys instead of a prefix: one resource each, nothing else. */
  keys?: string[];
  /**
   * The actions, replacing the default ones; `GetObject` or `name/cos:GetObject` alike.
   * @defaultValue COS_UPLOAD_ACTIONS
   */
  actions?: readonly string[];
  /**
   * An empty (or no) `prefix` grants the whole bucket, which is refused unless this is `true`.
   * @defaultValue false
   */
  allowWholeBucket?: boolean;
}

/** A key or prefix in a resource: no control characters, and no `*`, which CAM would read as a wildcard. */
const KEYISH = /^[^\0-\x1f\x7f*]*$/;

/**
 * A least-privilege CAM policy for temporary COS keys: by default upload-only actions
 * ({@link COS_UPLOAD_ACTIONS}) on `qcs::cos:<region>:uid/<appid>:<bucket>/<prefix>*`, the APPID taken
 * from the bucket name. `keys` limits it to exact keys instead; `actions` replaces the actions. A leading
 * `/` of a prefix or key is dropped. Refuses a bucket without `-APPID` (`ERR_INVALID_BUCKET`), a prefix or
 * key with `*` or control characters (`ERR_INVALID_KEY`), and an empty prefix — the whole bucket —
 * unless `allowWholeBucket: true` (`ERR_INVALID_POLICY`).
 *
 * @example
 * ```ts
 * cosPolicy({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', prefix: 'uploads/alice/' });
 * // { version: '2.0', statement: [{ effect: 'allow', action: ['name/cos:PutObject', …],
 * //   resource: ['qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/uploads/alice/*'] }] }
 * ```
 */
export const cosPolicy = (options: CosPolicyOptions): CamPolicy => {
  const o = object(options, 'cosPolicy options', 'an object { bucket, region, prefix?, keys?, actions? }');
  const { bucket, region, prefix, keys, actions = COS_UPLOAD_ACTIONS, allowWholeBucket = false } = o;
  if (!is(bucket, /^[a-z\d]([a-z\d-]*[a-z\d])?-\d+$/))
    must('ERR_INVALID_BUCKET', 'bucket', 'BucketName-APPID, like "examplebucket-1250000000"', bucket);
  if (!is(region, REGION)) must('ERR_INVALID_REGION', 'region', 'like "ap-guangzhou"', region);
  if (typeof allowWholeBucket != 'boolean')
    must('ERR_INVALID_OPTION', 'allowWholeBucket', 'a boolean', allowWholeBucket);
  if (!Array.isArray(actions) || !actions.length || !actions.every((a) => is(a, /^(name\/cos:)?[\w*]+$/)))
    must(
      'ERR_INVALID_POLICY',
      'actions',
      'a non-empty array of COS action names like "PutObject" or "name/cos:PutObject"',
      actions,
    );
  const base = `qcs::cos:${region}:uid/${bucket.slice(bucket.lastIndexOf('-') + 1)}:${bucket}/`;
  let resource: string[];
  if (keys !== undefined) {
    if (prefix !== undefined) fail('ERR_INVALID_POLICY', 'give prefix or keys, not both');
    if (!Array.isArray(keys) || !keys.length) must('ERR_INVALID_KEY', 'keys', 'a non-empty array of keys', keys);
    resource = keys.map((k) =>
      is(k, KEYISH) && k.replace(/^\/+/, '')
        ? base + k.replace(/^\/+/, '')
        : must('ERR_INVALID_KEY', 'each of keys', 'a non-empty string without "*" or control characters', k),
    );
  } else {
    if (prefix !== undefined && !is(prefix, KEYISH))
      must('ERR_INVALID_KEY', 'prefix', 'a string without "*" or control characters', prefix);
    const p = (prefix || '').replace(/^\/+/, '');
    if (!p && !allowWholeBucket)
      fail(
        'ERR_INVALID_POLICY',
        `an empty prefix would grant ${bucket} whole: give a prefix (like "uploads/"), keys, or allowWholeBucket: true`,
      );
    resource = [base + p + '*'];
  }
  return {
    version: '2.0',
    statement: [
      { effect: 'allow', action: actions.map((a) => (a.startsWith('name/') ? a : 'name/cos:' + a)), resource },
    ],
  };
};

/** What {@link getFederationToken} and {@link assumeRole} take alike. */
export interface StsCallOptions {
  /** The SecretId of the permanent key that calls STS (best a sub-account's, allowed only what it hands out). */
  secretId: string;
  /** Its SecretKey: signs the call, is never sent and never in an error message. Keep it on servers. */
  secretKey: string;
  /**
   * The STS region (`X-TC-Region`); any region works for COS in every region.
   * @defaultValue 'ap-guangzhou'
   */
  region?: string;
  /**
   * How long the temporary keys live, in seconds: the shortest that works. Tencent allows up to 7,200
   * (root account) or 129,600 (sub-account) for GetFederationToken and 43,200 for AssumeRole.
   * @defaultValue 1800
   */
  durationSeconds?: number;
  /**
   * The STS URL, for tests and proxies; its host is signed without a port, as Tencent's SDKs do.
   * @defaultValue 'https://sts.tencentcloudapi.com'
   */
  endpoint?: string | URL;
  /**
   * The `fetch` to send with (called as a plain function).
   * @defaultValue globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Milliseconds to wait for the answer before giving up with `ERR_STS`.
   * @defaultValue 10000
   */
  timeout?: number;
  /**
   * The signing time (`X-TC-Timestamp`); Tencent refuses signatures more than 5 minutes off its clock.
   * @defaultValue the current time
   */
  now?: Date;
  /**
   * The WebCrypto to sign with (Node 18: `require('node:crypto').webcrypto`).
   * @defaultValue globalThis.crypto
   */
  crypto?: {
    /** Its SubtleCrypto. */
    subtle: SubtleCrypto;
  };
}

/** Options of {@link getFederationToken}. */
export interface GetFederationTokenOptions extends StsCallOptions {
  /** What the keys may do: a {@link CamPolicy} (see {@link cosPolicy}) or its JSON text; sent URL-encoded. */
  policy: CamPolicy | string;
  /**
   * The federated user's name, shown in Tencent Cloud's logs (letters, digits, `_+=,.@-`).
   * @defaultValue 'cos-sign'
   */
  name?: string;
}

/** Options of {@link assumeRole}. */
export interface AssumeRoleOptions extends StsCallOptions {
  /** The role's resource name, e.g. `qcs::cam::uin/100000000001:roleName/cos-uploader`. */
  roleArn: string;
  /** A name for this session, 2 to 128 of letters, digits and `_+=,.@-`, shown in Tencent Cloud's logs. */
  roleSessionName: string;
  /** Narrows the role's own permissions: a {@link CamPolicy} or its JSON text; sent URL-encoded. */
  policy?: CamPolicy | string;
}

const NAME = /^[\w+=,.@-]+$/;

/** The URL-encoded JSON text of a policy given as an object or as JSON text. */
const encodePolicy = (policy: unknown): string => {
  let p = policy;
  if (typeof p == 'string')
    try {
      p = JSON.parse(p);
    } catch {
      return must(
        'ERR_INVALID_POLICY',
        'policy',
        'a CAM policy object or its JSON text (not URL-encoded: that is done here)',
        policy,
      );
    }
  if (!p || typeof p != 'object' || !Array.isArray((p as CamPolicy).statement))
    must('ERR_INVALID_POLICY', 'policy', 'a CAM policy { version: "2.0", statement: [...] } or its JSON text', policy);
  return encodeURIComponent(typeof policy == 'string' ? policy : JSON.stringify(policy));
};

/** Signs and sends one STS action; maps the answer to {@link Credentials} or rejects with `ERR_STS`. */
const call = async (
  action: string,
  o: StsCallOptions,
  params: Record<string, unknown>,
): Promise<TemporaryCredentials> => {
  const {
    secretId,
    secretKey,
    region = 'ap-guangzhou',
    durationSeconds = 1800,
    endpoint = 'https://sts.tencentcloudapi.com',
    timeout = 10_000,
    now,
  } = o;
  const f = o.fetch || globalThis.fetch;
  if (!is(secretId, /^[^\s,/]+$/))
    must('ERR_CREDENTIALS_INVALID', 'secretId', 'a string without whitespace, "," or "/"', secretId);
  if (!is(secretKey, /^\S(.*\S)?$/))
    must('ERR_CREDENTIALS_INVALID', 'secretKey', 'a string without surrounding whitespace', secretKey, true);
  if (!is(region, REGION)) must('ERR_INVALID_REGION', 'region', 'like "ap-guangzhou"', region);
  if (!Number.isSafeInteger(durationSeconds) || durationSeconds < 1 || durationSeconds > 129_600)
    must('ERR_INVALID_EXPIRES', 'durationSeconds', 'an integer from 1 to 129600 (seconds)', durationSeconds);
  if (typeof timeout != 'number' || !(timeout > 0))
    must('ERR_INVALID_OPTION', 'timeout', 'a positive number of ms', timeout);
  if (now !== undefined && !validDate(now)) must('ERR_INVALID_NOW', 'now', 'a valid Date', now);
  if (typeof f != 'function') must('ERR_INVALID_OPTION', 'fetch', 'a function (there is no global fetch here)', f);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return must('ERR_INVALID_ENDPOINT', 'endpoint', 'an http(s) URL like "https://sts.tencentcloudapi.com"', endpoint);
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.hash)
    must('ERR_INVALID_ENDPOINT', 'endpoint', 'an http(s) URL without credentials or fragment', String(endpoint));
  const subtle = (o.crypto || globalThis.crypto)?.subtle;
  if (!subtle)
    fail(
      'ERR_CRYPTO_UNAVAILABLE',
      'no crypto.subtle: cos-sign/sts needs WebCrypto; pass the `crypto` option (Node 18: node:crypto webcrypto)',
    );

  const timestamp = Math.floor((now ? +now : Date.now()) / 1000);
  const payload = JSON.stringify({ ...params, DurationSeconds: durationSeconds });
  const contentType = 'application/json; charset=utf-8';
  const headers = {
    Authorization: await tc3Authorization(subtle, {
      secretId,
      secretKey,
      service: 'sts',
      url,
      contentType,
      payload,
      timestamp,
    }),
    'Content-Type': contentType,
    'X-TC-Action': action,
    'X-TC-Version': '2018-08-13',
    'X-TC-Timestamp': String(timestamp),
    'X-TC-Region': region,
  };
  // Nothing of ours echoes the key, but an error text from elsewhere might: never pass it on.
  const clean = (s: string) => s.split(secretKey).join('<secretKey>');
  const where = `${action} at ${url.origin}`;
  let res: Response;
  let text: string;
  try {
    const signal = timeoutSignal(timeout);
    res = await f(url.href, { method: 'POST', headers, body: payload, signal });
    text = await res.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    const detail = (e as Error)?.message ?? show(e);
    return fail(
      'ERR_STS',
      clean(`${where}: network failure, no answer: ${detail}${cause ? ` (${cause.code || cause.message})` : ''}`),
      e,
    );
  }
  // biome-ignore lint/suspicious/noExplicitAny: Tencent's JSON answer, each field checked below.
  let r: Record<string, any> | undefined;
  try {
    r = JSON.parse(text).Response;
  } catch {}
  const id = r?.RequestId ? `, RequestId ${r.RequestId}` : '';
  const e = r?.Error;
  if (e) fail('ERR_STS', clean(`${where} refused: ${e.Code}: ${e.Message} (HTTP ${res.status}${id})`));
  if (!res.ok || !r || typeof r != 'object')
    fail(
      'ERR_STS',
      `${where} answered HTTP ${res.status}` +
        (r ? '' : `, not a Tencent Cloud API answer (${res.headers.get('content-type') || 'no content-type'})`) +
        id,
    );
  const c = r!.Credentials;
  const t = +r!.ExpiredTime;
  if (!c || ![c.TmpSecretId, c.TmpSecretKey, c.Token].every((v) => typeof v == 'string' && v) || !(t > 0))
    fail(
      'ERR_STS',
      `${where}: the answer lacks Credentials { TmpSecretId, TmpSecretKey, Token } or ExpiredTime ` +
        `(HTTP ${res.status}${id})`,
    );
  return { secretId: c.TmpSecretId, secretKey: c.TmpSecretKey, securityToken: c.Token, expiration: new Date(t * 1000) };
};

/**
 * Temporary keys for a federated user (STS `GetFederationToken`), limited by `policy`, signed with the
 * permanent key. The result is ready for a `CosSigner`, or for the browser through {@link stsJson}.
 * Bad options reject with `ERR_INVALID_*` / `ERR_CREDENTIALS_INVALID` before any request; Tencent's
 * refusal, a non-2xx or non-JSON answer and a network failure reject with `ERR_STS` (Tencent's `Code`
 * and `RequestId` in the message; never the SecretKey).
 *
 * @example
 * ```ts
 * const policy = cosPolicy({ bucket, region, prefix: 'uploads/' });
 * const c = await getFederationToken({ secretId, secretKey, policy, durationSeconds: 900 });
 * c.secretId; c.secretKey; c.securityToken; c.expiration; // a Date
 * return Response.json(stsJson(c)); // for fetchCredentials('/sts') in the browser
 * ```
 */
export const getFederationToken = async (options: GetFederationTokenOptions): Promise<TemporaryCredentials> => {
  const { policy, name = 'cos-sign' } = object(
    options,
    'getFederationToken options',
    'an object { secretId, secretKey, policy, … }',
  );
  if (!is(name, NAME) || name.length > 64)
    must('ERR_INVALID_OPTION', 'name', 'up to 64 letters, digits and _+=,.@-', name);
  return call('GetFederationToken', options, { Name: name, Policy: encodePolicy(policy) });
};

/**
 * Temporary keys of a CAM role (STS `AssumeRole`): the role's permissions, narrowed by `policy` when
 * given. Errors as {@link getFederationToken}.
 *
 * @example
 * ```ts
 * const roleArn = 'qcs::cam::uin/100000000001:roleName/cos-uploader';
 * const c = await assumeRole({ secretId, secretKey, roleArn, roleSessionName: 'web' });
 * ```
 */
export const assumeRole = async (options: AssumeRoleOptions): Promise<TemporaryCredentials> => {
  const o = object(options, 'assumeRole options', 'an object { secretId, secretKey, roleArn, roleSessionName, … }');
  const { roleArn, roleSessionName, policy } = o;
  if (!is(roleArn, /^qcs::cam::\S+$/))
    must('ERR_INVALID_OPTION', 'roleArn', 'like "qcs::cam::uin/100000000001:roleName/name"', roleArn);
  if (!is(roleSessionName, NAME) || roleSessionName.length < 2 || roleSessionName.length > 128)
    must('ERR_INVALID_OPTION', 'roleSessionName', '2 to 128 letters, digits and _+=,.@-', roleSessionName);
  return call('AssumeRole', options, {
    RoleArn: roleArn,
    RoleSessionName: roleSessionName,
    ...(policy !== undefined && { Policy: encodePolicy(policy) }),
  });
};

/**
 * The body of a `/sts` answer for temporary credentials: the official STS SDK's shape, which
 * `fetchCredentials('/sts')` and `fromSts` read back into the same {@link Credentials}.
 *
 * @example
 * ```ts
 * return Response.json(stsJson(await getFederationToken({ … })), { headers: { 'Cache-Control': 'no-store' } });
 * ```
 */
export const stsJson = (credentials: TemporaryCredentials): StsJson => {
  const c = credentials || ({} as TemporaryCredentials);
  if (!is(c.secretId, /./) || !is(c.secretKey, /./) || !is(c.securityToken, /./) || !validDate(c.expiration))
    must(
      'ERR_CREDENTIALS_INVALID',
      'stsJson credentials',
      'temporary credentials { secretId, secretKey, securityToken, expiration: Date }',
      credentials,
    );
  return {
    credentials: { tmpSecretId: c.secretId, tmpSecretKey: c.secretKey, sessionToken: c.securityToken },
    expiredTime: Math.floor(+c.expiration / 1000),
    expiration: c.expiration.toISOString(),
  };
};
