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

/** A body's bytes in memory: a Blob is read once, so that the bytes hashed are the bytes sent. @internal */
export const read = async (b: Bytes): Promise<Uint8Array> =>
  b instanceof Uint8Array ? b : new Uint8Array(await b.arrayBuffer());
