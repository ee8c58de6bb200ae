// An in-memory stand-in for COS's object and multipart API, as a `fetch` for a CosSigner's `fetch`
// option, for unit tests of what the client sends (order, retries, resumes). Every request's signature
// is checked with the demo server's independent verifier (cos-verify.ts); `fault` answers the next
// matching requests with an error instead. The demo's real local server is tested in test/e2e.
import { createHash } from 'node:crypto';
import { verify } from './cos-verify.js';

export interface Seen {
  method: string;
  key: string;
  query: Record<string, string>;
  body?: Uint8Array;
  headers: Record<string, string>;
}

type Fault = { when: (r: Seen) => boolean; times: number; answer: () => Response | Promise<Response> };

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const xml = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'Content-Type': 'application/xml', ...headers } });
export const cosError = (status: number, code: string, message = code) =>
  xml(
    status,
    `<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>req-${code}</RequestId></Error>`,
  );

const bytesOf = async (body: unknown): Promise<Uint8Array | undefined> => {
  if (body == null) return undefined;
  if (typeof body == 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return new Uint8Array(body);
  return new Uint8Array(await (body as Blob).arrayBuffer());
};

export const fakeCos = (secretKey: string) => {
  const objects = new Map<string, { data: Uint8Array; etag: string; headers: Record<string, string> }>();
  const uploads = new Map<
    string,
    { key: string; headers: Record<string, string>; parts: Map<number, { data: Uint8Array; etag: string }> }
  >();
  const seen: Seen[] = [];
  const faults: Fault[] = [];
  let ids = 0;
  /** Hook run on each request before it is answered (e.g. to hold a part back). */
  let before: ((r: Seen) => Promise<void> | void) | undefined;

  const handle = async (r: Seen): Promise<Response> => {
    const q = r.query;
    const up = q.uploadId !== undefined ? uploads.get(q.uploadId) : undefined;
    if (q.uploadId !== undefined && !up) return cosError(404, 'NoSuchUpload');
    if (r.method == 'POST' && 'uploads' in q) {
      const id = `upload-${++ids}`;
      uploads.set(id, { key: r.key, headers: r.headers, parts: new Map() });
      return xml(
        200,
        `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>${r.key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (r.method == 'PUT' && up) {
      const etag = `"${md5(r.body!)}"`;
      up.parts.set(+q.partNumber, { data: r.body!, etag });
      return new Response(null, { status: 200, headers: { ETag: etag } });
    }
    if (r.method == 'GET' && up) {
      const max = +(q['max-parts'] ?? 1000);
      const list = [...up.parts].sort((a, b) => a[0] - b[0]).filter(([n]) => n > +(q['part-number-marker'] ?? 0));
      const page = list.slice(0, max);
      const more = list.length > max;
      return xml(
        200,
        `<ListPartsResult><IsTruncated>${more}</IsTruncated>${more ? `<NextPartNumberMarker>${page[page.length - 1][0]}</NextPartNumberMarker>` : ''}` +
          page
            .map(
              ([n, p]) =>
                `<Part><PartNumber>${n}</PartNumber><ETag>${p.etag}</ETag><Size>${p.data.length}</Size></Part>`,
            )
            .join('') +
          '</ListPartsResult>',
      );
    }
    if (r.method == 'POST' && up) {
      const text = new TextDecoder().decode(r.body);
      const parts = [...text.matchAll(/<PartNumber>(\d+)<\/PartNumber><ETag>([^<]*)<\/ETag>/g)].map(
        (m) => [+m[1], m[2].replace(/&quot;/g, '"')] as const,
      );
      const chunks: Uint8Array[] = [];
      for (const [n, etag] of parts) {
        const p = up.parts.get(n);
        if (!p || p.etag.replace(/"/g, '') != etag.replace(/"/g, '')) return cosError(400, 'InvalidPart');
        chunks.push(p.data);
      }
      const data = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
      chunks.reduce((o, c) => (data.set(c, o), o + c.length), 0);
      const etag = `"${md5(data)}-${parts.length}"`;
      objects.set(up.key, { data, etag, headers: up.headers });
      uploads.delete(q.uploadId);
      return xml(
        200,
        `<CompleteMultipartUploadResult><Location>b/${up.key}</Location><Bucket>b</Bucket><Key>${up.key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    if (r.method == 'DELETE' && up) {
      uploads.delete(q.uploadId);
      return new Response(null, { status: 204 });
    }
    if (r.method == 'PUT') {
      const etag = `"${md5(r.body ?? new Uint8Array())}"`;
      objects.set(r.key, { data: r.body ?? new Uint8Array(), etag, headers: r.headers });
      return new Response(null, { status: 200, headers: { ETag: etag } });
    }
    return cosError(405, 'MethodNotAllowed');
  };

  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
    const r: Seen = {
      method: init.method ?? 'GET',
      key: decodeURIComponent(url.pathname.slice(1)),
      query: Object.fromEntries(url.searchParams),
      body: await bytesOf(init.body),
      headers,
    };
    init.signal?.throwIfAborted();
    seen.push(r);
    verify({ method: r.method, url: url.href, headers, authorization: headers.authorization }, secretKey);
    await before?.(r);
    init.signal?.throwIfAborted();
    const f = faults.find((x) => x.times > 0 && x.when(r));
    if (f) {
      f.times--;
      return f.answer();
    }
    return handle(r);
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    objects,
    uploads,
    seen,
    /** The next `times` requests matching `when` get `answer()` instead. */
    fault: (when: Fault['when'], answer: Fault['answer'], times = 1) => void faults.push({ when, times, answer }),
    setBefore: (f: typeof before) => void (before = f),
  };
};

/** A body of `n` bytes whose bytes differ from part to part. */
export const bytes = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 12)) & 255;
  return b;
};
