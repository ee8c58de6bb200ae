import type { CosErrorBody } from './cos-error.js';

/**
 * The stable codes a {@link CosSignError} carries. Match on `code`, not on the message.
 */
export type CosSignErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_METHOD'
  | 'ERR_INVALID_BUCKET'
  | 'ERR_INVALID_KEY'
  | 'ERR_INVALID_REGION'
  | 'ERR_INVALID_ENDPOINT'
  | 'ERR_INVALID_DOMAIN'
  | 'ERR_INVALID_SCHEME'
  | 'ERR_INVALID_EXPIRES'
  | 'ERR_INVALID_NOW'
  | 'ERR_INVALID_HEADER'
  | 'ERR_INVALID_PARAM'
  | 'ERR_INVALID_POLICY'
  | 'ERR_CREDENTIALS_INVALID'
  | 'ERR_CREDENTIALS_EXPIRED'
  | 'ERR_CREDENTIALS_PROVIDER'
  | 'ERR_CRYPTO_UNAVAILABLE'
  | 'ERR_INVALID_BODY'
  | 'ERR_COS_RESPONSE'
  | 'ERR_NETWORK'
  | 'ERR_CHECKSUM'
  | 'ERR_STS';

/**
 * Every refusal of cos-sign. `code` is stable; the message says what was wrong and what was
 * received, and never contains a secret key or a security token.
 *
 * @example
 * ```ts
 * try { await signer.getPresignedUrl({ method: 'GET', bucket, key: '' }) }
 * catch (e) { if (e instanceof CosSignError && e.code === 'ERR_INVALID_KEY') … }
 * ```
 */
export class CosSignError extends Error {
  /** The stable error code, e.g. `ERR_INVALID_KEY`. */
  declare readonly code: CosSignErrorCode;
  /** With `ERR_COS_RESPONSE`: the HTTP status of COS's answer. */
  declare readonly status?: number;
  /**
   * With `ERR_COS_RESPONSE`: COS's error body (`Code`, `Message`, `RequestId`, …); `undefined` when the answer carried
   * none.
   */
  declare readonly cos?: CosErrorBody;
  /** With `ERR_CHECKSUM`: the part whose bytes COS stored differently, when one part is at fault. */
  declare readonly partNumber?: number;
  constructor(code: CosSignErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CosSignError';
    this.code = code;
  }
}

/** Describes a received value for an error message: short and typed; a long string is cut. */
export const show = (v: unknown): string =>
  typeof v == 'string'
    ? JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v)
    : isDate(v)
      ? 'Date ' + v
      : Array.isArray(v)
        ? 'an array'
        : v && typeof v == 'object'
          ? 'an object'
          : typeof v == 'function'
            ? 'a function'
            : String(v);

/** `instanceof Date` that also accepts a Date from another realm (an iframe, a vm context). */
export const isDate = (v: unknown): v is Date => Object.prototype.toString.call(v) == '[object Date]';

/** Throws a {@link CosSignError}. */
export const fail = (code: CosSignErrorCode, message: string, cause?: unknown): never => {
  throw new CosSignError(code, message, cause === undefined ? undefined : { cause });
};

/** Throws `${what} must be ${want}, received ${show(v)}`; a `secret` is described, never shown. */
export const must = (code: CosSignErrorCode, what: string, want: string, v: unknown, secret?: boolean): never =>
  fail(
    code,
    `${what} must be ${want}, received ` +
      (secret && typeof v == 'string' ? `a string of ${v.length} characters` : show(v)),
  );
