/** `getPostPolicy`: the signed HTML form for COS POST Object. */
import { fail, must } from '../core/errors.js';
import { object } from '../core/validate.js';
import type { CosSigner, PolicyWriter } from './signer.js';

/** Options of {@link getPostPolicy}. Give `key` or `keyPrefix`. */
export interface PostPolicyOptions {
  /** `BucketName-APPID`. Not used in the host with the `domain` option. */
  bucket: string;
  /** The exact key the upload must have. */
  key?: string;
  /** The prefix every uploaded key must start with; the form's key is `${keyPrefix}${filename}`. */
  keyPrefix?: string;
  /** Seconds the form stays valid. @defaultValue 300 */
  expires?: number;
  /** `[min, max]` allowed size of the file in bytes. */
  contentLengthRange?: [min: number, max: number];
  /** The Content-Type the object gets (a form field, pinned by the policy). */
  contentType?: string;
  /** The status COS answers a successful upload with. @defaultValue 204 (COS's) */
  successActionStatus?: 200 | 201 | 204;
  /**
   * More policy conditions, as in COS's POST Object documentation, e.g. `["starts-with", "$Content-Type", "image/"]`.
   * @defaultValue []
   */
  conditions?: unknown[];
  /** The signing clock. @defaultValue `Date.now()` plus the signer's `clockOffset` */
  now?: Date;
}

/** A signed POST Object form: post `fields` (then the file, as `file`) to `url`. */
export interface PostPolicy {
  /** Where to post the form: the bucket's root URL. */
  url: string;
  /**
   * The form fields, in order: `key`, `Content-Type`?, `success_action_status`?, `x-cos-security-token`?, `policy`,
   * `q-*`.
   */
  fields: Record<string, string>;
}

/**
 * The HTML form for COS POST Object (browser upload without CORS preflight, with size and type
 * limits): post `fields` as `multipart/form-data` to `url`, with the file as the last field, `file`.
 * With `keyPrefix`, the form's key is `${keyPrefix}${filename}` (COS puts the uploaded file's name in).
 *
 * @example
 * ```ts
 * const { url, fields } = await getPostPolicy(signer, {
 *   bucket,
 *   keyPrefix: 'uploads/',
 *   contentLengthRange: [1, 10 << 20],
 * });
 * const form = new FormData();
 * for (const [k, v] of Object.entries(fields)) form.append(k, v);
 * form.append('file', file);
 * await fetch(url, { method: 'POST', body: form });
 * ```
 */
export const getPostPolicy = async (signer: CosSigner, options: PostPolicyOptions): Promise<PostPolicy> => {
  const o = object(options, 'post policy options');
  const { bucket, key, keyPrefix, expires, contentLengthRange: range, contentType, now } = o;
  const { successActionStatus: status, conditions = [] } = o;
  const bad = (what: string, want: string, v: unknown) => must('ERR_INVALID_POLICY', what, want, v);
  if ((key === undefined) == (keyPrefix === undefined))
    fail('ERR_INVALID_POLICY', 'give exactly one of key and keyPrefix');
  if (keyPrefix !== undefined && typeof keyPrefix != 'string') bad('keyPrefix', 'a string', keyPrefix);
  if (range && !(range.length == 2 && range.every((n) => Number.isSafeInteger(n) && n >= 0) && range[0] <= range[1]))
    bad('contentLengthRange', '[min, max] with 0 <= min <= max', range);
  if (status !== undefined && ![200, 201, 204].includes(status)) bad('successActionStatus', '200, 201 or 204', status);
  if (contentType !== undefined && !(typeof contentType == 'string' && /^[^\r\n]*$/.test(contentType)))
    bad('contentType', 'a string without CR or LF', contentType);
  if (!Array.isArray(conditions)) bad('conditions', 'an array', conditions);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: COS replaces ${filename} with the file's name.
  const formKey = key ?? keyPrefix + '${filename}';
  const fields: Record<string, string> = { key: formKey };
  let ak = '';
  let time = '';
  let text = '';
  const policy: PolicyWriter = (secretId, keyTime, securityToken) => {
    ak = secretId;
    time = keyTime;
    const conds: unknown[] = [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': ak }, { 'q-sign-time': time }];
    if (bucket !== undefined) conds.push({ bucket });
    conds.push(key !== undefined ? { key } : ['starts-with', '$key', keyPrefix]);
    if (range) conds.push(['content-length-range', range[0], range[1]]);
    const extra = {
      'Content-Type': contentType,
      success_action_status: status && String(status),
      'x-cos-security-token': securityToken,
    };
    for (const [n, v] of Object.entries(extra)) if (v !== undefined) conds.push({ [n]: (fields[n] = v) });
    // The key time's end is the policy's expiration.
    const expiration = new Date(+time.split(';')[1]! * 1000).toISOString();
    return (text = JSON.stringify({ expiration, conditions: conds.concat(conditions) }));
  };
  const { url, headers } = await signer.authorize({ method: 'POST', bucket, key: formKey, expires, now, policy });
  // The Authorization's last field, q-signature, signed over the policy.
  const signature = headers.Authorization.slice(headers.Authorization.lastIndexOf('=') + 1);
  let bin = '';
  for (const x of new TextEncoder().encode(text)) bin += String.fromCharCode(x);
  return {
    url,
    fields: {
      ...fields,
      policy: btoa(bin),
      'q-sign-algorithm': 'sha1',
      'q-ak': ak,
      'q-key-time': time,
      'q-signature': signature,
    },
  };
};
