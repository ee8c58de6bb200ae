// A local COS-compatible server for one private bucket: PUT, GET (Range, response-*), HEAD, DELETE
// Object, POST Object (HTML form + policy), multipart upload (cos-multipart.mjs), GET Bucket (list),
// CORS. Every request is verified as COS verifies it (cos-auth.mjs, independent of src/) and refused
// with COS's XML errors. Objects live on disk; an upload becomes visible only once complete (temp file
// + rename), so a refused or aborted upload leaves nothing behind. Uploads and whole-object reads carry
// the CRC-64 COS sends (x-cos-hash-crc64ecma, cos-crc.mjs); SSE-C keys are checked (cos-ssec.mjs).
// Tests can make it fail on purpose (`inject`) and see what it was asked (`state.history`).
//
// The server is one state object, `cos`, that the modules share (each function takes it first):
//   cos-route.mjs   the request handler: path and query, injected failures, preflight, signature, routing
//   cos-http.mjs    COS's common headers, CORS, the XML error answer
//   cos-object.mjs  PUT / GET / HEAD / DELETE Object
//   cos-post.mjs    POST Object: the form, its policy and signature
//   cos-list.mjs    GET Bucket (and the paging List Multipart Uploads shares)
//   cos-multipart.mjs  the six multipart requests
//   cos-store.mjs   objects on disk: receive a body (hashing it), commit it, remove it
//   cos-crc.mjs     CRC-64/XZ, the server's own
//   cos-ssec.mjs    SSE-C headers: checked, remembered, asked for again
//   cos-hooks.mjs   test hooks: request history, injected faults
import http from 'node:http';
import fsp from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { createMultipart } from './cos-multipart.mjs';
import { flipOffset, inject } from './cos-hooks.mjs';
import { handle } from './cos-route.mjs';
import { commit, dataPath, openStore, receive, storedHeaders } from './cos-store.mjs';

/**
 * Creates the server. Options: bucket, dataDir (default: a new temp folder), clockSkewMs (the
 * server's clock minus the real one), maxObjectBytes (the largest object: a PUT, a POST form or a
 * completed multipart upload; a part is also at most 5 GiB), corsOrigins (['*'] or a list), log (a
 * function for one line per request), historyLimit (how many requests `state.history` keeps).
 */
export const createCosServer = async ({
  bucket = 'demo-1250000000',
  dataDir,
  clockSkewMs = 0,
  maxObjectBytes = 5 * 1024 ** 3,
  corsOrigins = ['*'],
  log,
  historyLimit = 10_000,
} = {}) => {
  const { dirs, index } = await openStore(dataDir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-demo-'))));
  const cos = {
    bucket,
    appId: /-(\d+)$/.exec(bucket)?.[1] ?? '1250000000',
    maxObjectBytes,
    corsOrigins,
    log,
    historyLimit,
    dirs,
    /** key -> { key, size, etag, lastModified, headers, file, crc64?, ssec? } (cos-store.mjs) */
    index,
    /** secretId -> { secretKey, token?, expiresAt? } */
    keys: new Map(),
    /**
     * history: { method, key, query, status }[] of the last `historyLimit` requests (status 0: no answer,
     * the connection was cut), each also with `headers` (lowercase names) and `signed` (the lowercase
     * names in its signature's q-header-list), not enumerable (cos-hooks.mjs).
     */
    state: { clockSkewMs, requests: 0, refusals: [], history: [] },
    /** Failures tests asked for (`inject`), tried in order. */
    injections: [],
    /** The server's clock (ms). */
    now: () => Date.now() + cos.state.clockSkewMs,
  };
  cos.multipart = createMultipart({
    bucket,
    appId: cos.appId,
    dir: dirs.multipart,
    tmpDir: dirs.tmp,
    now: cos.now,
    storedHeaders,
    maxObjectBytes,
    receive: (source, limit) => receive(cos, source, limit, { flipAt: flipOffset(source) }),
    commit: (key, tmp, info) => commit(cos, key, tmp, info),
  });
  const server = http.createServer((req, res) => {
    res.on('finish', () => log?.(`COS ${req.method} ${req.url?.split('?')[0]} → ${res.statusCode}`));
    handle(cos, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  return serverApi(cos, server);
};

/** What createCosServer returns: the server, its state and the hooks for tests. */
const serverApi = (cos, server) => ({
  server,
  bucket: cos.bucket,
  dataDir: cos.dirs.root,
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
  async readObject(key) {
    const o = cos.index.get(key);
    return o && { ...o, data: await fsp.readFile(dataPath(cos, o)) };
  },
  listKeys: () => [...cos.index.keys()].sort(),
  /** Files in the temp folder (for tests: an aborted upload must leave none). */
  tmpFiles: () => fsp.readdir(cos.dirs.tmp),
  /** The multipart uploads in progress (for tests): [{ key, uploadId, parts: [{ partNumber, size, etag }] }], by key then age. */
  listUploads: () => cos.multipart.snapshot(),
  /**
   * Makes the server misbehave on purpose (for tests), for the next `times` (default 1) requests for
   * which `when({ method, key, query })` is true (key decoded, without its leading '/'; query the
   * decoded parameters). They still appear in `state.history`. Returns the rule: `remaining`, `cancel()`.
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
    return `http://${hostname}:${server.address().port}`;
  },
  async close() {
    server.closeAllConnections?.();
    await new Promise((ok) => server.close(() => ok()));
  },
});
