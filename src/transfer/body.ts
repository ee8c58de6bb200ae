/**
 * Request bodies of the transfer layer: what callers may pass, turned into bytes that slice without
 * copying, and read when their bytes are needed (to hash them).
 */
import { must } from '../core/errors.js';
import type { Bytes } from '../send/send.js';

/** A body as {@link uploadPart} and {@link upload} take it. */
export type UploadBody = Blob | ArrayBuffer | ArrayBufferView | string;

/**
 * The body as bytes that slice without copying: a Blob stays a Blob, buffers become views, a string is encoded.
 * @internal
 */
export const toBytes = (body: unknown): Bytes => {
  const tag = Object.prototype.toString.call(body);
  if (typeof body == 'string') return new TextEncoder().encode(body);
  if (tag == '[object ArrayBuffer]') return new Uint8Array(body as ArrayBuffer);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const b = body as Blob;
  if (b && typeof b == 'object' && typeof b.size == 'number' && typeof b.slice == 'function') return b;
  return must('ERR_INVALID_BODY', 'body', 'a Blob, File, ArrayBuffer, ArrayBufferView or string', body);
};

/** Bytes in a body. @internal */
export const sizeOf = (b: Bytes): number => (b instanceof Uint8Array ? b.byteLength : b.size);

/** Bytes `[start, end)` of a body, without copying. @internal */
export const range = (b: Bytes, start: number, end: number): Bytes =>
  b instanceof Uint8Array ? b.subarray(start, end) : b.slice(start, end);

/** A body's bytes in memory (a Blob read once, to hash it; it is then sent as the Blob). @internal */
export const read = async (b: Bytes): Promise<Uint8Array> =>
  b instanceof Uint8Array ? b : new Uint8Array(await b.arrayBuffer());

/** A body read as it arrives: a `ReadableStream` (a Worker's `request.body`, `Deno.open(…).readable`, a fetch's
 * body) or an async iterable of byte chunks (a Node `Readable`, an async generator). */
export type StreamBody = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Whether a body is a stream: it has `getReader` or `Symbol.asyncIterator`. @internal */
export const isStream = (b: unknown): b is StreamBody =>
  !!b && typeof b == 'object' && (typeof (b as ReadableStream).getReader == 'function' || Symbol.asyncIterator in b);

/**
 * Reads a stream in pieces of chosen sizes: `next(n, into?)` resolves with the next `n` bytes in a buffer
 * of its own, or in `into` when it holds `n` (fewer at the end, `undefined` once nothing is left); `more()`
 * says whether bytes follow (reading one chunk ahead); `stop()` cancels the source. @internal
 */
export const chunks = (body: StreamBody) => {
  const r = 'getReader' in body ? body.getReader() : undefined;
  const it = r ? undefined : (body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let held: Uint8Array = new Uint8Array();
  let ended = false;
  const more = async () => {
    while (!held.length && !ended) {
      const { done, value } = await (r ? r.read() : it!.next());
      if (done) ended = true;
      else if (ArrayBuffer.isView(value)) held = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      else must('ERR_INVALID_BODY', 'a chunk of the body stream', 'a Uint8Array', value);
    }
    return !!held.length;
  };
  return {
    more,
    next: async (n: number, into?: Uint8Array): Promise<Uint8Array | undefined> => {
      const out = into?.length == n ? into : new Uint8Array(n);
      let at = 0;
      while (at < n && (await more())) {
        const take = held.subarray(0, n - at);
        out.set(take, at);
        at += take.length;
        held = held.subarray(take.length);
      }
      return at ? out.subarray(0, at) : undefined;
    },
    stop: (reason?: unknown) => {
      if (!ended) (ended = true), (r ? r.cancel(reason) : it!.return?.(reason))?.catch(() => {});
    },
  };
};
