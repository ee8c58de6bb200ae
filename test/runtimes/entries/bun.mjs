// Bun: `import … from 'cos-sign'` resolved from node_modules (no auto-install).
import * as lib from 'cos-sign';
import * as sts from 'cos-sign/sts';
import { runSuite } from './suite.mjs';

const r = await runSuite(lib, { sts, vectors: await Bun.file(new URL('./python-sdk.jsonl', import.meta.url)).text() });
console.log('CONFORMANCE ' + JSON.stringify({ ...r, resolved: import.meta.resolve('cos-sign'), version: Bun.version }));
