// workerd (the Cloudflare Workers runtime): cos-sign's presign batch against the bare crypto.subtle loop
// (bench/presign.mjs), run by `workerd test` (no port) from the config bench/runtimes.mjs writes, with
// V8's --expose-gc and --trace-gc: workerd has no GCProfiler, so GC shares come from the trace.
import * as w from './workload.mjs';
import { presignVsBare } from './presign.mjs';
import { CosSigner } from '../dist/cos-sign.mjs';
import options from './options.json';

export default {
  async test() {
    const r = await presignVsBare(CosSigner, w, { gc: globalThis.gc, ...options });
    console.log('PRESIGN ' + JSON.stringify({ version: navigator.userAgent, ...r }));
    // V8 writes the trace through a buffered stdout: fill it, so that every line of the run is flushed.
    for (let i = 0; i < 200; i++) globalThis.gc();
  },
};
