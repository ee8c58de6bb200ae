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

const unxml = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([\da-f]+));/gi, (m, n: string, d?: string, x?: string) =>
    d || x ? String.fromCodePoint(parseInt(d || x!, d ? 10 : 16)) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[n.toLowerCase()] ?? m,
  );

/**
 * Reads COS's XML error body, so an application can show `Code` and `Message` and quote the
 * `RequestId` to support. Returns `undefined` when the text is not a COS error.
 *
 * @example
 * ```ts
 * const res = await signer.fetch(url, { method: 'PUT', body });
 * if (!res.ok) console.error(parseCosError(await res.text())?.Message);
 * ```
 */
export const parseCosError = (xml: string): CosErrorBody | undefined => {
  const body = /<Error>([\s\S]*)<\/Error>/.exec(xml)?.[1];
  if (!body) return undefined;
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) out[m[1]] = unxml(m[2]);
  return out.Code ? (out as unknown as CosErrorBody) : undefined;
};
