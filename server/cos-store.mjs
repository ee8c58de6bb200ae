// The local COS server's objects of one bucket: `<data>/objects` holds one data file and one metadata
// file per object, `<data>/tmp` the uploads being received. An object appears only once complete: its data
// is renamed into place, then its metadata is written to a temp file and renamed over the old one. The
// files are on disk or in memory (cos-fs.mjs, `cos.fs`). Every function takes the bucket's state
// (cos-server.mjs): `fs`, `dirs`, `index` and `now()`.
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { CosRefusal } from './cos-auth.mjs';
import { Crc64 } from './cos-crc.mjs';

/** Request headers stored with an object and sent back on GET/HEAD. */
export const STORED = [
  'content-type',
  'content-disposition',
  'content-encoding',
  'content-language',
  'cache-control',
  'expires',
];

/** The request headers an object keeps (PutObject, Initiate Multipart Upload); empty ones are dropped. */
export const storedHeaders = (from) => {
  const headers = {};
  for (const h of STORED) if (from[h] !== undefined && from[h] !== '') headers[h] = from[h];
  for (const h in from) if (h.startsWith('x-cos-meta-')) headers[h] = from[h];
  return headers;
};

/**
 * Prepares the folders under `root` (tmp and multipart emptied: what was in flight does not outlive a
 * run) and loads the objects a previous run left. Returns { dirs, index }: index is key -> { key, size,
 * etag, lastModified, headers, file, crc64?, ssec? } (crc64: the CRC-64 as a decimal string, missing in
 * metadata written before the server computed it; ssec: { algorithm, keyMd5 } of an SSE-C object).
 */
export const openStore = async (fs, root) => {
  const dirs = {
    root,
    objects: path.join(root, 'objects'),
    tmp: path.join(root, 'tmp'),
    multipart: path.join(root, 'multipart'),
  };
  await fs.mkdir(dirs.objects, { recursive: true });
  for (const d of [dirs.tmp, dirs.multipart]) {
    await fs.rm(d, { recursive: true, force: true });
    await fs.mkdir(d, { recursive: true });
  }
  return { dirs, index: await loadIndex(fs, dirs.objects) };
};

/** Reads every metadata file; data files no metadata points to are unfinished writes, and removed. */
const loadIndex = async (fs, objDir) => {
  const index = new Map();
  const referenced = new Set();
  for (const name of await fs.readdir(objDir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const o = JSON.parse(await fs.readFile(path.join(objDir, name), 'utf8'));
      index.set(o.key, o);
      referenced.add(o.file);
    } catch {}
  }
  for (const name of await fs.readdir(objDir))
    if (name.endsWith('.bin') && !referenced.has(name)) await fs.rm(path.join(objDir, name), { force: true });
  return index;
};

const metaPath = (cos, key) => path.join(cos.dirs.objects, createHash('sha256').update(key).digest('hex') + '.json');

/** Where the bytes of stored object `o` are. */
export const dataPath = (cos, o) => path.join(cos.dirs.objects, o.file);

/** Makes a finished temp file the object `key`: rename the data, then atomically write its metadata. */
export const commit = async (cos, key, tmpFile, info) => {
  const file = randomBytes(12).toString('hex') + '.bin';
  await cos.fs.rename(tmpFile, path.join(cos.dirs.objects, file));
  const o = { key, file, lastModified: new Date(cos.now()).toISOString(), ...info };
  const mtmp = path.join(cos.dirs.tmp, randomBytes(8).toString('hex') + '.json');
  await cos.fs.writeFile(mtmp, JSON.stringify(o));
  await cos.fs.rename(mtmp, metaPath(cos, key));
  const old = cos.index.get(key);
  cos.index.set(key, o);
  if (old && old.file !== file) await cos.fs.rm(dataPath(cos, old), { force: true });
  return o;
};

/** Deletes the object `key`, if there is one. */
export const removeObject = async (cos, key) => {
  const o = cos.index.get(key);
  if (!o) return;
  cos.index.delete(key);
  await cos.fs.rm(metaPath(cos, key), { force: true });
  await cos.fs.rm(dataPath(cos, o), { force: true });
};

/**
 * Streams `source` into a new temp file, hashing it as it comes: resolves { tmp, size, etag (hex MD5),
 * crc64 (decimal CRC-64/XZ) }. Past `limit` bytes it keeps reading (so the client can finish sending
 * and read the refusal) but stores nothing and rejects with EntityTooLarge. If the source breaks off,
 * the temp file is removed and the promise rejects. `flipAt` (an injected fault, cos-hooks.mjs): the
 * byte at that offset is inverted (xor 0xff) before it is hashed and stored, as if the network had
 * changed it.
 */
export const receive = (cos, source, limit, { flipAt } = {}) =>
  new Promise((resolve, reject) => {
    const tmp = path.join(cos.dirs.tmp, randomBytes(12).toString('hex'));
    const out = cos.fs.createWriteStream(tmp);
    const md5 = createHash('md5');
    const crc = new Crc64();
    let size = 0;
    let over = false;
    let ended = false;
    let done = false;
    const cleanup = (e) => {
      if (done) return;
      done = true;
      out.destroy();
      // Remove the file once the stream has closed: an open still in flight would create it after the rm.
      const removeFile = () => cos.fs.rm(tmp, { force: true }).finally(() => reject(e));
      if (out.closed) removeFile();
      else out.once('close', removeFile);
    };
    source.on('data', (c) => {
      if (over || done) return;
      if (flipAt >= size && flipAt < size + c.length) {
        c = Buffer.from(c); // a copy: the chunk may be shared
        c[flipAt - size] ^= 0xff;
      }
      size += c.length;
      if (size > limit) {
        over = true;
        return;
      }
      md5.update(c);
      crc.update(c);
      if (!out.write(c)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
    });
    source.on('end', () => {
      ended = true;
      if (over)
        return cleanup(
          new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'),
        );
      out.end(() => {
        if (done) return;
        done = true;
        resolve({ tmp, size, etag: md5.digest('hex'), crc64: crc.digest() });
      });
    });
    source.on('error', cleanup);
    source.on('close', () => ended || cleanup(new Error('the upload was aborted')));
    out.on('error', cleanup);
    source.resume();
  });
