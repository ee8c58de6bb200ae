// Where the local COS server keeps bytes: the few file operations it uses, on disk (node:fs) or in memory
// (the same calls over a Map of paths to lists of chunks). Objects, parts and uploads in flight go through
// one of these, so memory mode is the disk layout without a disk: a body is streamed in chunk by chunk and
// never joined into one buffer (no second copy of a request), a read streams the chunks of the range asked.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

/** The real file system. */
export const diskFs = {
  createWriteStream: (p) => fs.createWriteStream(p),
  createReadStream: (p, o) => fs.createReadStream(p, o),
  rm: (p, o) => fsp.rm(p, o),
  rename: (a, b) => fsp.rename(a, b),
  mkdir: (p, o) => fsp.mkdir(p, o),
  readdir: (p) => fsp.readdir(p),
  readFile: (p, enc) => fsp.readFile(p, enc),
  writeFile: (p, data) => fsp.writeFile(p, data),
};

const notFound = (p) => Object.assign(new Error(`ENOENT: no such file, '${p}'`), { code: 'ENOENT' });

/** An in-memory file system: path -> Buffer[] (folders are implied by the paths). */
export const memoryFs = () => {
  const files = new Map();
  const norm = (p) => path.resolve('/', p);
  const under = (dir, p) => p.startsWith(dir.endsWith('/') ? dir : dir + '/');
  const read = (p) => {
    const chunks = files.get(norm(p));
    if (!chunks) throw notFound(p);
    return chunks;
  };
  return {
    /** Collects the chunks written; the file appears when the stream ends. */
    createWriteStream(p) {
      const chunks = [];
      return new Writable({
        write(chunk, _enc, done) {
          chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
          done();
        },
        final(done) {
          files.set(norm(p), chunks);
          done();
        },
      });
    },
    /** The bytes from `start` to `end` (inclusive), chunk by chunk, shared and not copied. */
    createReadStream(p, { start = 0, end = Number.POSITIVE_INFINITY } = {}) {
      let chunks;
      try {
        chunks = read(p);
      } catch (e) {
        return new Readable({ read() {} }).destroy(e);
      }
      return Readable.from(
        (function* () {
          let offset = 0;
          for (const c of chunks) {
            const from = Math.max(start - offset, 0);
            const to = Math.min(end + 1 - offset, c.length);
            if (to > from) yield from === 0 && to === c.length ? c : c.subarray(from, to);
            offset += c.length;
            if (offset > end) break;
          }
        })(),
        { objectMode: false },
      );
    },
    async rm(p, { recursive = false, force = false } = {}) {
      const n = norm(p);
      if (files.delete(n)) return;
      let any = false;
      if (recursive) for (const k of [...files.keys()]) if (under(n, k)) any = files.delete(k);
      if (!any && !force && !recursive) throw notFound(p);
    },
    async rename(a, b) {
      files.set(norm(b), read(a));
      files.delete(norm(a));
    },
    async mkdir() {},
    async readdir(dir) {
      const n = norm(dir);
      const names = new Set();
      for (const k of files.keys()) if (under(n, k)) names.add(k.slice(n.length + 1).split('/')[0]);
      return [...names];
    },
    async readFile(p, enc) {
      const data = Buffer.concat(read(p));
      return enc ? data.toString(enc) : data;
    },
    async writeFile(p, data) {
      files.set(norm(p), [Buffer.from(data)]);
    },
    /** Bytes held (for tests and the bench). */
    size: () => [...files.values()].reduce((n, cs) => n + cs.reduce((m, c) => m + c.length, 0), 0),
  };
};
