// Part "bare" of `npm run bench` (issue #14): cos-sign's default (SubtleCrypto) presign batch against the
// bare crypto.subtle loop (bench/bare.mjs), both in the same run, interleaved (bench/presign.mjs): in this
// Node process (GC time from node:v8's GCProfiler), then in Chromium, Deno, Bun and workerd
// (bench/runtimes.mjs). Prints one table, per runtime, batch size and request shape: each one's URLs/s
// (medians), cos-sign's throughput as a share of the bare loop's (with the lowest and highest of the
// per-round ratios), and the share of the batch time spent in GC.
import v8 from 'node:v8';
import { presignVsBare } from './presign.mjs';
import { runBun, runChromium, runDeno, runWorkerd } from './runtimes.mjs';
import * as w from './workload.mjs';

const pct = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)} %`);
const ops = (size, ms) => Math.round((size * 1000) / ms).toLocaleString('en-US');

/** GC milliseconds between start and stop, from node:v8's GCProfiler (cost in µs in Node). */
const gcMeter = () => {
  const p = new v8.GCProfiler();
  p.start();
  return () => p.stop().statistics.reduce((s, x) => s + x.cost, 0) / 1000;
};

/**
 * Runs the part; `goal(what, ok, detail)` records the goals (≥ 80 % of the bare loop in Node and
 * Chromium, every batch size and shape). `runtimes`: which besides Node (default all).
 */
export async function ceilingPart({
  CosSigner,
  gc,
  rounds,
  goal,
  sizes = [2000, 10000],
  runtimes = ['chromium', 'deno', 'bun', 'workerd'],
}) {
  // +1: the first round of each batch size and shape warms up and is not counted.
  const n = rounds + 1;
  const results = [
    {
      name: 'node',
      version: `Node ${process.version}`,
      rows: (await presignVsBare(CosSigner, w, { gc, gcMeter, rounds: n, sizes })).rows,
    },
  ];
  const runners = { chromium: runChromium, deno: runDeno, bun: runBun, workerd: runWorkerd };
  for (const r of runtimes)
    try {
      results.push(await runners[r]({ rounds: n, sizes }));
    } catch (e) {
      results.push({ name: r, skipped: `failed: ${e.message.split('\n')[0]}` });
    }
  console.log(
    `\n### Presign batch against the bare crypto.subtle loop (bench/bare.mjs), same run, medians of ${rounds} interleaved rounds\n`,
  );
  console.log(
    '"bare loop": per signature only the two WebCrypto calls (digest, sign; SignKey imported once) and their hex; GC share: of each one\'s batch time.\n',
  );
  console.log(
    '| runtime | batch | request | cos-sign URLs/s | bare loop URLs/s | cos-sign / bare (rounds: low–high) | GC share cos-sign | GC share bare |',
  );
  console.log('|---|--:|---|--:|--:|--:|--:|--:|');
  for (const res of results) {
    if (res.skipped) {
      console.log(`| ${res.name} | | | | | ${res.skipped} | | |`);
      continue;
    }
    for (const r of res.rows)
      console.log(
        `| ${res.version} | ${r.size.toLocaleString('en-US')} | ${r.shape} | ${ops(r.size, r.cos.ms)} | ${ops(r.size, r.bare.ms)} | ` +
          `**${pct(r.ratio)}** (${pct(r.spread[0])}–${pct(r.spread[1])}) | ${pct(r.cos.gc)} | ${pct(r.bare.gc)} |`,
      );
  }
  for (const res of results.filter((x) => (x.name == 'node' || x.name == 'chromium') && x.rows)) {
    const worst = res.rows.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    goal(
      `${res.name} presign batch >= 80 % of the bare crypto.subtle loop (every batch and request)`,
      worst.ratio >= 0.8,
      `lowest ${pct(worst.ratio)} (${worst.size}, ${worst.shape})`,
    );
  }
  return results;
}
