// SSE-C (server-side encryption with a customer-provided key) as far as the local COS server plays it:
// the three x-cos-server-side-encryption-customer-* headers are checked (AES256, a 256-bit key in
// base64, its base64 MD5), and what an object or a multipart upload was stored with ({ algorithm,
// keyMd5 }; never the key) must be given again: on every Upload Part of an upload initiated with a key,
// on GET and HEAD of an object stored with one. Nothing is actually encrypted.
//
// Guessed COS behaviour, after S3's (COS documents the headers, not these refusals): malformed headers
// are 400 InvalidArgument; a part or a read without the key, or with another key, is 400
// InvalidRequest; the key's headers on an upload or object stored without one are 400 InvalidRequest
// too. Real COS also demands HTTPS for SSE-C; this plain-HTTP server does not.
import { createHash } from 'node:crypto';
import { CosRefusal } from './cos-auth.mjs';

const PREFIX = 'x-cos-server-side-encryption-customer-';
const ALGORITHM = PREFIX + 'algorithm';
const KEY = PREFIX + 'key';
const KEY_MD5 = PREFIX + 'key-md5';

const invalidArgument = (message) => new CosRefusal(400, 'InvalidArgument', message);
const invalidRequest = (message) => new CosRefusal(400, 'InvalidRequest', message);

/**
 * The SSE-C a request asks for: undefined when it sends none of the three headers, else { algorithm,
 * keyMd5 } (keyMd5: the base64 MD5 of the key's bytes, computed when the header is left out). Throws
 * InvalidArgument for an incomplete or inconsistent set.
 */
export const readSsec = (headers) => {
  const algorithm = headers[ALGORITHM];
  const key = headers[KEY];
  const keyMd5 = headers[KEY_MD5];
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (algorithm !== 'AES256')
    throw invalidArgument(
      'Requests specifying Server Side Encryption with Customer provided keys ' +
        'must provide a valid encryption algorithm.',
    );
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(key || '') ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) throw invalidArgument('The secret key was invalid for the specified algorithm.');
  const md5 = createHash('md5').update(bytes).digest('base64');
  if (keyMd5 !== undefined && keyMd5 !== md5)
    throw invalidArgument('The calculated MD5 hash of the key did not match the hash that was provided.');
  return { algorithm, keyMd5: md5 };
};

/** Upload Part: refused unless it carries the key its upload was initiated with (`stored`), or none if none. */
export const checkPartSsec = (stored, headers) => {
  const given = readSsec(headers);
  if (stored && given?.keyMd5 !== stored.keyMd5)
    throw invalidRequest(
      'The multipart upload initiate requested encryption. ' +
        'Subsequent part requests must include the appropriate encryption parameters.',
    );
  if (!stored && given)
    throw invalidRequest(
      'The multipart upload initiate did not request encryption. ' +
        'Subsequent part requests must not include encryption parameters.',
    );
};

/** GET / HEAD Object: refused unless it carries the key the object was stored with (`stored`), or none if none. */
export const checkReadSsec = (stored, headers) => {
  const given = readSsec(headers);
  if (stored && given?.keyMd5 !== stored.keyMd5)
    throw invalidRequest(
      'The object was stored using a form of Server Side Encryption. ' +
        'The correct parameters must be provided to retrieve the object.',
    );
  if (!stored && given) throw invalidRequest('The encryption parameters are not applicable to this object.');
};

/** The headers an answer about an SSE-C object or upload carries: the algorithm and the key's MD5. */
export const ssecHeaders = (ssec) => (ssec ? { [ALGORITHM]: ssec.algorithm, [KEY_MD5]: ssec.keyMd5 } : {});
