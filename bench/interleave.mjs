// Runs benchmark variants interleaved with tinybench: `rounds` short Bench runs, each with every variant
// once (order rotated every round), so drift of the machine (turbo, GC, neighbours) hits all variants
// alike; `gc`, when given, runs before each variant so none pays for another's garbage. Returns every variant's median latency (ms) over all rounds' samples. Used in Node and in the
// browser page (no imports: the Bench class is passed in).

/** @param {typeof import('tinybench').Bench} Bench */
export async function interleaved(
  Bench,
  variants,
  { rounds = 5, iterations = 2, time = 0, warmupIterations = 1, gc } = {},
) {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({
      iterations,
      time,
      warmup: warmupIterations > 0,
      warmupIterations,
      warmupTime: 0,
      retainSamples: true,
      throws: true,
      setup: gc && (() => gc()),
    });
    const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
    for (const n of order) bench.add(n, variants[n]);
    await bench.run();
    for (const t of bench.tasks) samples[t.name].push(...t.result.latency.samples);
  }
  const median = (a) => {
    const s = a.slice().sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return Object.fromEntries(names.map((n) => [n, { median: median(samples[n]), samples: samples[n].length }]));
}
