// cos-sign's presign batch against the bare crypto.subtle loop (bench/bare.mjs), interleaved in one
// process: every round runs both, the order alternating, a full GC before each turn when the runtime
// lets us ask for one. Batches of 2,000 and 10,000 presigned GET URLs, with no params or headers and
// with two params and a Range header (issue #14). No imports but bare.mjs: the runtime's pieces are passed
// in, so the same code runs in Node, Deno, Bun, workerd and the Chromium page (bench/run.mjs,
// bench/runtimes.mjs, bench/page.html).

import { bareBatch, bareSigner, httpStrings } from './bare.mjs';

/** The two shapes of request the issue measures: a plain GET, and one with two params and a signed Range header. */
export const SHAPES = {
  plain: {},
  'params+headers': {
    params: { 'response-content-type': 'image/jpeg', 'response-cache-control': 'max-age=86400' },
    headers: { Range: 'bytes=0-65535' },
  },
};

export const median = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs the comparison. `w`: bench/workload.mjs. `gc()`: a full GC, if the runtime has one (then every
 * call is also recorded in `marks`, so GC times from `--trace-gc` can be told apart by turn: a forced GC
 * starts each turn and ends the last one of each batch size and shape). `gcMeter()`: starts counting GC
 * time and returns a function that stops and gives the GC milliseconds since (node:v8's GCProfiler in
 * Node, Deno and Bun). Resolves to `{ rows, marks }`, a row per size and shape: `{ size, shape, cos,
 * bare, ratio, spread }` — `cos` and `bare` are `{ ms, total, gc }` (median ms per batch, ms of all
 * counted batches, GC share of that time or undefined), `ratio` = bare ms / cos-sign ms (cos-sign's
 * throughput as a fraction of the bare loop's, medians), `spread` = [lowest, highest] per-round ratio.
 */
export async function presignVsBare(
  CosSigner,
  w,
  {
    subtle = globalThis.crypto.subtle,
    gc,
    gcMeter,
    sizes = [2000, 10000],
    shapes = Object.keys(SHAPES),
    rounds = 7,
    log = () => {},
  } = {},
) {
  const signer = new CosSigner({ region: w.region, credentials: w.creds });
  const t = Math.floor(w.now.getTime() / 1000);
  const bare = await bareSigner(subtle, w.creds.secretKey, `${t - 60};${t + w.expires}`);
  const marks = [];
  const mark = (label) => gc && (gc(), marks.push(label));
  const rows = [];
  for (const size of sizes)
    for (const shape of shapes) {
      const keys = w.keys(size);
      const extra = SHAPES[shape];
      const http = httpStrings(keys, w.host, extra);
      const variants = {
        cos: () =>
          Promise.all(
            keys.map((key) =>
              signer.getPresignedUrl({
                method: 'GET',
                bucket: w.bucket,
                key,
                now: w.now,
                expires: w.expires,
                ...extra,
              }),
            ),
          ),
        bare: () => bareBatch(bare, http),
      };
      // Both must sign the same requests the same way before their speed means anything.
      const a = (await variants.cos()).map(w.qSignature);
      const b = await variants.bare();
      const bad = a.findIndex((s, i) => s !== b[i]);
      if (bad >= 0) throw new Error(`${shape}: cos-sign and the bare loop sign ${keys[bad]} differently`);
      // Short batches are timed a few at a time, so that coarse clocks (workerd: 1 ms) still resolve them.
      const reps = Math.max(1, Math.round(6000 / size));
      const ms = { cos: [], bare: [] };
      const gcMs = { cos: 0, bare: 0 };
      const total = { cos: 0, bare: 0 };
      const ratios = [];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 ? ['bare', 'cos'] : ['cos', 'bare'];
        const got = {};
        for (const v of order) {
          // The first round warms up (JIT, SignKey cache) and is not counted.
          mark(r ? `${size} ${shape} ${v}` : 'warm-up');
          const stop = gcMeter?.();
          const t0 = performance.now();
          for (let i = 0; i < reps; i++) await variants[v]();
          const dt = performance.now() - t0;
          const g = stop?.();
          if (!r) continue;
          if (g !== undefined) gcMs[v] += g;
          ms[v].push((got[v] = dt / reps));
          total[v] += dt;
        }
        if (r) ratios.push(got.bare / got.cos);
      }
      mark('between');
      const row = {
        size,
        shape,
        cos: { ms: median(ms.cos), total: total.cos, gc: gcMeter ? gcMs.cos / total.cos : undefined },
        bare: { ms: median(ms.bare), total: total.bare, gc: gcMeter ? gcMs.bare / total.bare : undefined },
        spread: [Math.min(...ratios), Math.max(...ratios)],
      };
      row.ratio = row.bare.ms / row.cos.ms;
      log(row);
      rows.push(row);
    }
  return { rows, marks };
}

/**
 * GC shares where there is no GCProfiler (workerd, Chromium), from the GC pauses V8 reports in order
 * (`--trace-gc` lines, or the page's MinorGC/MajorGC trace events): `gcs` is `[{ ms, forced }]`, in
 * order. The pauses between two forced GCs (`gc()`, reason "testing") go to the turn `marks` names for
 * that stretch. Sets `gc` of the `rows` of the same run.
 */
export const gcShares = (gcs, { rows, marks }) => {
  const ms = {};
  let seg = -1;
  for (const g of gcs)
    if (g.forced) seg++;
    else if (marks[seg]) ms[marks[seg]] = (ms[marks[seg]] || 0) + g.ms;
  for (const r of rows) for (const v of ['cos', 'bare']) r[v].gc = (ms[`${r.size} ${r.shape} ${v}`] || 0) / r[v].total;
  return rows;
};

/** The GC pauses in V8's `--trace-gc` output: the "N / M ms" pause of each line, plus its incremental marking steps. */
export const traceGcPauses = (text) =>
  text.split('\n').flatMap((line) => {
    const m =
      /ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep|Minor Mark-Compact)\b.*?MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms(?: +\(\+ ([\d.]+) ms in)?/.exec(
        line,
      );
    return m ? [{ ms: Number(m[2]) + Number(m[3] || 0), forced: / testing\b/.test(line) }] : [];
  });
