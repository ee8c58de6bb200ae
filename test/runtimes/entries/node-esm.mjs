// Node, as an ESM user: `import … from 'cos-sign'` resolved through the installed package's exports.
import { readFileSync } from 'node:fs';
import * as lib from 'cos-sign';
import * as sts from 'cos-sign/sts';
import { runSuite } from './suite.mjs';

const r = await runSuite(lib, { sts, vectors: readFileSync(new URL('./python-sdk.jsonl', import.meta.url), 'utf8') });
console.log(
  'CONFORMANCE ' + JSON.stringify({ ...r, resolved: import.meta.resolve('cos-sign'), version: process.version }),
);
