// Two or more builds of cos-sign against each other and the bare crypto.subtle loop (bench/bare.mjs), all
// in one Node process, interleaved (the order rotated every round, a full GC before each turn): on a
// shared, noisy machine a change shows better here than in two separate `COS_SIGN_DIST=… npm run bench`
// runs. Prints, per batch size and request shape, each build's share of the bare loop's throughput
// (median of the per-round ratios, with the interquartile range) and its GC share.
//   node bench/compare.mjs /path/to/before/dist /path/to/after/dist     (BENCH_ROUNDS=n, default 13)
import v8 from 'node:v8';
import vm from 'node:vm';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bareBatch, bareSigner, httpStrings } from './bare.mjs';
import { SHAPES, median } from './presign.mjs';
import * as w from './workload.mjs';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const rounds = Number(process.env.BENCH_ROUNDS) || 13;
const dists = process.argv.slice(2);
if (!dists.length) throw new Error('usage: node bench/compare.mjs DIST_DIR [DIST_DIR …]');
const signers = [];
for (const d of dists)
  signers.push(
    new (await import(pathToFileURL(resolve(d, 'cos-sign.mjs')).href)).CosSigner({
      region: w.region,
      credentials: w.creds,
    }),
  );
const t = Math.floor(w.now.getTime() / 1000);
const bare = await bareSigner(crypto.subtle, w.creds.secretKey, `${t - 60};${t + w.expires}`);
const q = (a, f) => a.slice().sort((x, y) => x - y)[Math.floor(f * (a.length - 1))];
const pct = (x) => `${(100 * x).toFixed(1)} %`;

console.log(
  `Node ${process.version}, ${rounds} rounds (the first not counted); builds: ${dists.map((d, i) => `#${i + 1} ${d}`).join(', ')}\n`,
);
console.log(
  `| batch | request | ${dists.map((_, i) => `#${i + 1} / bare (IQR) | #${i + 1} GC`).join(' | ')} | bare GC |`,
);
console.log(`|--:|---|${dists.map(() => '--:|--:').join('|')}|--:|`);
for (const size of [2000, 10000])
  for (const shape of Object.keys(SHAPES)) {
    const keys = w.keys(size);
    const extra = SHAPES[shape];
    const http = httpStrings(keys, w.host, extra);
    const variants = { bare: () => bareBatch(bare, http) };
    for (const [i, s] of signers.entries())
      variants[`#${i + 1}`] = () =>
        Promise.all(
          keys.map((key) =>
            s.getPresignedUrl({ method: 'GET', bucket: w.bucket, key, now: w.now, expires: w.expires, ...extra }),
          ),
        );
    const names = Object.keys(variants);
    for (const n of names.slice(1))
      if ((await variants[n]()).map(w.qSignature).join() !== (await variants.bare()).join())
        throw new Error(`build ${n} signs differently`);
    const reps = Math.max(1, Math.round(4000 / size));
    const ms = Object.fromEntries(names.map((n) => [n, []]));
    const gcMs = Object.fromEntries(names.map((n) => [n, 0]));
    for (let r = 0; r < rounds; r++) {
      const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
      for (const n of order) {
        gc();
        const p = new v8.GCProfiler();
        p.start();
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) await variants[n]();
        const dt = performance.now() - t0;
        const g = p.stop().statistics.reduce((s, x) => s + x.cost, 0) / 1000;
        if (r) ms[n].push(dt), (gcMs[n] += g);
      }
    }
    const cells = names.slice(1).map((n) => {
      const ratios = ms.bare.map((b, i) => b / ms[n][i]);
      const total = ms[n].reduce((a, b) => a + b, 0);
      return `**${pct(median(ratios))}** (${pct(q(ratios, 0.25))}–${pct(q(ratios, 0.75))}) | ${pct(gcMs[n] / total)}`;
    });
    console.log(
      `| ${size.toLocaleString('en-US')} | ${shape} | ${cells.join(' | ')} | ${pct(gcMs.bare / ms.bare.reduce((a, b) => a + b, 0))} |`,
    );
  }
