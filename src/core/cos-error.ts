/** COS's XML error body, read one way for every layer (and for applications). */
import { parseXml } from './xml.js';

/** The fields of a COS XML error body (`<Error><Code>…</Code>…</Error>`). */
export interface CosErrorBody {
  /** e.g. `SignatureDoesNotMatch`, `AccessDenied`, `RequestTimeTooSkewed`, `NoSuchKey`. */
  Code: string;
  /** COS's explanation, e.g. `Request has expired`. */
  Message?: string;
  /** The id to quote to Tencent Cloud support. */
  RequestId?: string;
  /** The server's clock (ISO 8601), when COS sends it. */
  ServerTime?: string;
  /** The bucket or object the request addressed. */
  Resource?: string;
  /** COS's trace id. */
  TraceId?: string;
}

/**
 * Reads COS's XML error body, so an application can show `Code` and `Message` and quote the
 * `RequestId` to support. Returns `undefined` when the text is not a COS error.
 *
 * @example
 * ```ts
 * const res = await signedFetch(signer, url, { method: 'PUT', body });
 * if (!res.ok) console.error(parseCosError(await res.text())?.Message);
 * ```
 */
export const parseCosError = (xml: string): CosErrorBody | undefined => {
  const el = parseXml(xml);
  const out: Record<string, string> = {};
  if (el && el.name == 'Error') for (const c of el.children) out[c.name] = c.text;
  return out.Code ? (out as unknown as CosErrorBody) : undefined;
};
