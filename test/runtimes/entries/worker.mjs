// workerd (the Cloudflare Workers runtime): `workerd test config.capnp` calls this worker's test()
// without opening a port. The package's ESM file and the vectors are embedded in the config as modules.
import * as lib from './cos-sign.mjs';
import { runSuite } from './suite.mjs';
import vectors from './python-sdk.jsonl';

export default {
  async test() {
    const r = await runSuite(lib, { vectors });
    console.log('CONFORMANCE ' + JSON.stringify({ ...r, resolved: 'node_modules/cos-sign/dist/cos-sign.mjs, embedded as cos-sign.mjs', version: navigator.userAgent }));
    if (r.failed) throw new Error(`${r.failed} conformance checks failed`);
  },
};
