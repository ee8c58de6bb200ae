// Deno, offline (--no-remote --no-npm): the package's ESM file, as a vendored or CDN copy is imported.
import * as lib from './node_modules/cos-sign/dist/cos-sign.mjs';
import * as sts from './node_modules/cos-sign/dist/sts.mjs';
import { runSuite } from './suite.mjs';

const r = await runSuite(lib, {
  sts,
  vectors: await Deno.readTextFile(new URL('./python-sdk.jsonl', import.meta.url)),
});
console.log(
  'CONFORMANCE ' +
    JSON.stringify({
      ...r,
      resolved: import.meta.resolve('./node_modules/cos-sign/dist/cos-sign.mjs'),
      version: Deno.version.deno,
    }),
);
