// workerd (the Cloudflare Workers runtime): `workerd test config.capnp` calls this worker's test()
// without opening a port. The package's ESM files and the vectors are embedded in the config as modules.
import * as lib from './node_modules/cos-sign/dist/cos-sign.mjs';
import * as sts from './node_modules/cos-sign/dist/sts.mjs';
import { runSuite } from './suite.mjs';
import vectors from './python-sdk.jsonl';

export default {
  async test() {
    const r = await runSuite(lib, { sts, vectors });
    console.log(
      'CONFORMANCE ' +
        JSON.stringify({
          ...r,
          resolved: new URL('./node_modules/cos-sign/dist/cos-sign.mjs', import.meta.url).href,
          version: navigator.userAgent,
        }),
    );
    if (r.failed) throw new Error(`${r.failed} conformance checks failed`);
  },
};
