// Node, as a CommonJS user: `require('cos-sign')` resolved through the installed package's exports.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const lib = require('cos-sign');
const sts = require('cos-sign/sts');

import('./suite.mjs').then(async ({ runSuite }) => {
  const r = await runSuite(lib, { sts, vectors: readFileSync(join(__dirname, 'python-sdk.jsonl'), 'utf8') });
  console.log(
    'CONFORMANCE ' + JSON.stringify({ ...r, resolved: require.resolve('cos-sign'), version: process.version }),
  );
});
