// Deno and Bun: cos-sign's presign batch against the bare crypto.subtle loop (bench/presign.mjs), on the
// built ESM file; prints one line `PRESIGN {json}`. Started by bench/runtimes.mjs:
//   deno run --v8-flags=--expose-gc --allow-read bench/runtime-entry.mjs DIST_URL ROUNDS SIZES
//   bun bench/runtime-entry.mjs DIST_URL ROUNDS SIZES
import v8 from 'node:v8';
import * as w from './workload.mjs';
import { presignVsBare } from './presign.mjs';

const [dist, rounds, sizes] = globalThis.Deno ? Deno.args : process.argv.slice(2);
const { CosSigner } = await import(new URL('cos-sign.mjs', dist).href);
// node:v8's GCProfiler reports each GC's cost in ns in Deno, in µs in Bun.
const unit = globalThis.Deno ? 1e6 : 1e3;
const gcMeter = () => {
  const p = new v8.GCProfiler();
  p.start();
  return () => p.stop().statistics.reduce((s, x) => s + x.cost, 0) / unit;
};
const gc = globalThis.Bun ? () => Bun.gc(true) : globalThis.gc;
const r = await presignVsBare(CosSigner, w, {
  gc,
  gcMeter,
  rounds: Number(rounds),
  sizes: sizes.split(',').map(Number),
});
const version = globalThis.Deno ? `Deno ${Deno.version.deno}` : `Bun ${Bun.version}`;
console.log('PRESIGN ' + JSON.stringify({ version, rows: r.rows }));
