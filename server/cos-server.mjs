// A local COS-compatible server for one or several private buckets: PUT, GET (Range, response-*,
// If-Match / If-None-Match), HEAD, DELETE Object, Delete Multiple Objects, PUT Object copy, POST Object
// (HTML form + policy), multipart upload, GET Bucket (list), CORS. Every request is verified as COS
// verifies it (cos-auth.mjs, independent of src/) and refused with COS's XML errors. Objects live on
// disk or in memory (cos-fs.mjs); an upload becomes visible only once complete (temp file + rename), so
// a refused or aborted upload leaves nothing behind. Uploads and whole-object reads carry the CRC-64
// COS sends (x-cos-hash-crc64ecma, cos-crc.mjs); SSE-C keys are checked (cos-ssec.mjs). Tests can make
// it fail on purpose (`inject`) and see what it was asked (`state.history`). startCosServer (index.mjs)
// is the shipped entry over this.
//
// The server is one state object, `cos`, that the modules share (each function takes it first); each
// bucket is an object whose prototype is it, with its own `bucket`, `appId`, `dirs`, `index`, `multipart`:
//   cos-route.mjs   the request handler: path, query, bucket, injected failures, preflight, signature, routing
//   cos-http.mjs    COS's common headers, CORS rules, the XML error answer
//   cos-object.mjs  PUT / GET / HEAD / DELETE Object;  cos-copy.mjs  PUT Object copy
//   cos-delete.mjs  Delete Multiple Objects (POST /?delete)
//   cos-post.mjs    POST Object: the form, its policy and signature
//   cos-list.mjs    GET Bucket (and the paging List Multipart Uploads shares)
//   cos-multipart.mjs, cos-complete.mjs, cos-list-parts.mjs, cos-uploads.mjs  the six multipart requests
//   cos-store.mjs   a bucket's objects: receive a body (hashing it), commit it, remove it
//   cos-fs.mjs      the file operations, on disk or in memory
//   cos-crc.mjs     CRC-64/XZ, the server's own
//   cos-ssec.mjs    SSE-C headers: checked, remembered, asked for again
//   cos-hooks.mjs   test hooks: request history, injected faults
import http from 'node:http';
import fsp from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { diskFs, memoryFs } from './cos-fs.mjs';
import { corsRules } from './cos-http.mjs';
import { createMultipart } from './cos-multipart.mjs';
import { flipOffset, inject } from './cos-hooks.mjs';
import { handle } from './cos-route.mjs';
import { commit, dataPath, openStore, receive, storedHeaders } from './cos-store.mjs';

/** A bucket name as COS spells it: `<name>-<APPID>`, lowercase letters, digits and dashes. */
const BUCKET = /^[a-z0-9][a-z0-9-]*-\d+$/;

/** One bucket: its store, under `root` (the first bucket) or `root/buckets/<name>` (the others). */
const openBucket = async (shared, bucket, root) => {
  const { dirs, index } = await openStore(shared.fs, root);
  const b = Object.assign(Object.create(shared), {
    bucket,
    appId: /-(\d+)$/.exec(bucket)?.[1] ?? '1250000000',
    dirs,
    index,
  });
  b.multipart = createMultipart({
    bucket,
    appId: b.appId,
    dir: dirs.multipart,
    tmpDir: dirs.tmp,
    fs: shared.fs,
    now: shared.now,
    storedHeaders,
    maxObjectBytes: shared.maxObjectBytes,
    receive: (source, limit) => receive(b, source, limit, { flipAt: flipOffset(source) }),
    commit: (key, tmp, info) => commit(b, key, tmp, info),
  });
  return b;
};

/**
 * Creates the server. Options: bucket or buckets (names; the first is the one `127.0.0.1` and
 * `localhost` reach), dataDir (default: a new temp folder), memory (true: objects in memory, no
 * dataDir), clockSkewMs (the server's clock minus the real one), maxObjectBytes (the largest object: a
 * PUT, a POST form or a completed multipart upload; a part is also at most 5 GiB), cors (COS's CORS
 * rules, cos-http.mjs) or corsOrigins (['*'] or a list), log (a function for one line per request),
 * historyLimit (how many requests `state.history` keeps).
 */
export const createCosServer = async ({
  bucket = 'demo-1250000000',
  buckets = [bucket],
  dataDir,
  memory = false,
  clockSkewMs = 0,
  maxObjectBytes = 5 * 1024 ** 3,
  corsOrigins = ['*'],
  cors,
  log,
  historyLimit = 10_000,
} = {}) => {
  if (!buckets.length) throw new TypeError('createCosServer: at least one bucket');
  for (const b of buckets)
    if (!BUCKET.test(b)) throw new TypeError(`createCosServer: ${JSON.stringify(b)} is not a bucket name (name-APPID)`);
  const fs = memory ? memoryFs() : diskFs;
  const root = memory ? '/cos' : dataDir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-demo-')));
  const shared = {
    fs,
    maxObjectBytes,
    cors: corsRules(cors ?? [{ AllowedOrigin: corsOrigins }]),
    log,
    historyLimit,
    /** secretId -> { secretKey, token?, expiresAt? } */
    keys: new Map(),
    /**
     * history: { method, key, query, status }[] of the last `historyLimit` requests (status 0: no answer,
     * the connection was cut), each also with `headers` (lowercase names), `signed` (the lowercase
     * names in its signature's q-header-list) and `bucket`, not enumerable (cos-hooks.mjs).
     */
    state: { clockSkewMs, requests: 0, refusals: [], history: [] },
    /** Failures tests asked for (`inject`), tried in order. */
    injections: [],
    /** The server's clock (ms). */
    now: () => Date.now() + shared.state.clockSkewMs,
    /** name -> bucket (each an object whose prototype is `shared`). */
    buckets: new Map(),
  };
  for (const [i, name] of buckets.entries())
    shared.buckets.set(name, await openBucket(shared, name, i ? path.join(root, 'buckets', name) : root));
  const first = shared.buckets.get(buckets[0]);
  const server = http.createServer((req, res) => {
    res.on('finish', () => log?.(`COS ${req.method} ${req.url?.split('?')[0]} → ${res.statusCode}`));
    handle(shared, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  return serverApi(shared, first, server, memory ? undefined : root);
};

/** What createCosServer returns: the server, its state and the hooks for tests. */
const serverApi = (cos, first, server, dataDir) => {
  const pick = (bucket) => (bucket === undefined ? first : cos.buckets.get(bucket));
  return {
    server,
    bucket: first.bucket,
    buckets: [...cos.buckets.keys()],
    /** The folder objects are kept in (undefined in memory). */
    dataDir,
    keys: cos.keys,
    state: cos.state,
    now: cos.now,
    /** Registers a key pair the server accepts; temporary ones carry a token and an expiry (ms, server clock). */
    addKey(secretId, secretKey, { token, expiresAt } = {}) {
      cos.keys.set(secretId, { secretKey, token, expiresAt });
    },
    /** Sets how far the server's clock is ahead of the real one (ms; negative = behind). */
    setClockSkew(ms) {
      cos.state.clockSkewMs = ms;
    },
    /** The stored object (for tests): { key, size, etag, crc64, ssec?, headers, data: Buffer } or undefined. */
    async readObject(key, bucket) {
      const b = pick(bucket);
      const o = b?.index.get(key);
      return o && { ...o, data: await cos.fs.readFile(dataPath(b, o)) };
    },
    listKeys: (bucket) => [...(pick(bucket)?.index.keys() ?? [])].sort(),
    /** Files in the temp folder (for tests: an aborted upload must leave none). */
    tmpFiles: (bucket) => cos.fs.readdir(pick(bucket).dirs.tmp),
    /**
     * The multipart uploads in progress (for tests): [{ key, uploadId, parts: [{ partNumber, size, etag }] }],
     * by key then age.
     */
    listUploads: (bucket) => pick(bucket).multipart.snapshot(),
    /**
     * Makes the server misbehave on purpose (for tests), for the next `times` (default 1) requests for
     * which `when({ method, key, query, bucket })` is true (key decoded, without its leading '/'; query
     * the decoded parameters). They still appear in `state.history`. Returns the rule: `remaining`, `cancel()`.
     *
     * A rule fails the request, not serving it, when it gives any of:
     *   status, code, message  answered with COS's XML error (default 500 InternalError, COS's message
     *                          for the code); the request body is read first, so the client sees it
     *   errorIn200             that <Error> in a 200 (as COS may answer a Complete)
     *   destroy                the connection is cut before anything is served or stored (a network error)
     * or when it gives nothing else at all (a plain `inject({ when })` is a 500 InternalError).
     *
     * A rule serves the request, with a twist, when it gives any of:
     *   cutAfter: true     the request is served in full (the part or object stored, the upload completed,
     *                      a refusal decided) and then the connection is cut instead of answering: the
     *                      client sees a network error although the server did it (a lost answer;
     *                      history status 0)
     *   flip: true         one byte of the received body is inverted (xor 0xff) before it is hashed and
     *                      stored, as if the network had changed it: the stored part or object, its ETag
     *                      and its CRC are those of the corrupted bytes (a Content-MD5 the client sent
     *                      then refuses it, BadDigest). At `flipAt` (a byte offset; giving it implies
     *                      flip), else the middle of the declared Content-Length (offset 0 without one).
     *                      PUT Object and Upload Part only; other requests are served untouched.
     *   crc64: '<decimal>' a 2xx answer carries this x-cos-hash-crc64ecma instead of the true one (added
     *                      if the answer would have none); a number or bigint is written in decimal. What
     *                      is stored keeps its true CRC.
     * These combine with each other (flip + cutAfter: a corrupted part stored, its answer lost).
     *
     *   delayMs: N         waits N ms before anything else; alone, the request is then served normally,
     *                      with a failure or a twist, that follows the wait
     *
     * Giving both a failure and a twist is a TypeError.
     */
    inject: (options) => inject(cos, options),
    async listen(port = 0, hostname = '127.0.0.1') {
      await new Promise((ok, ko) => server.once('error', ko).listen(port, hostname, ok));
      const shown = hostname.includes(':') ? `[${hostname}]` : hostname;
      return `http://${shown}:${server.address().port}`;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(() => ok()));
    },
  };
};
