// Part "crc" of `npm run bench` (`node bench/run.mjs crc`): crc64() throughput over 256 MiB of
// pseudo-random bytes (bench/bytes.mjs, the same seed everywhere) in this Node process (dist/cos-sign.mjs)
// and in Chromium (dist/cos-sign.umd.js in a page, bench/crc.html), each several passes
// (bench/crc-rounds.mjs) after a warm-up, a full GC before each. Both must give the same CRC, and the
// check value of "123456789". Prints best and median GiB/s; goal: at least 1 GiB/s in each, judged on
// the best pass (on a shared machine the median also measures the neighbours; the load average is printed).
import { fillBytes } from './bytes.mjs';
import { crcRounds } from './crc-rounds.mjs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const CHECK = '11051210869376104954'; // CRC-64/XZ of "123456789"
const MiB = 1 << 20;

/** The 1-minute load average, to say how busy the machine was. */
const load = () => os.loadavg()[0].toFixed(1);

const median = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `ms` per pass over `size` bytes as { best, median } GiB/s. */
const rates = (size, ms) => ({
  best: size / 2 ** 30 / (Math.min(...ms) / 1000),
  median: size / 2 ** 30 / (median(ms) / 1000),
});

export async function crcPart({ dist, gc, goal, rounds = 7, size = 256 * MiB, seed = 0x2545f491 }) {
  const before = load();
  const { crc64 } = await import(new URL('cos-sign.mjs', dist).href);
  if (crc64('123456789') !== CHECK) throw new Error(`Node: crc64("123456789") is ${crc64('123456789')}, not ${CHECK}`);
  let data = fillBytes(new Uint8Array(size), seed);
  const node = crcRounds(crc64, data, { rounds, gc });
  data = undefined;
  gc?.();

  const { serveAndLaunch } = await import('./browser.mjs');
  const distFile = (f) => fileURLToPath(new URL(f, dist));
  const { server, browser, page } = await serveAndLaunch(
    {
      '/': [here('./crc.html'), 'text/html'],
      '/cos-sign.umd.js': [distFile('cos-sign.umd.js'), 'text/javascript'],
      '/bytes.mjs': [here('./bytes.mjs'), 'text/javascript'],
      '/crc-rounds.mjs': [here('./crc-rounds.mjs'), 'text/javascript'],
    },
    ['--js-flags=--expose-gc'],
  );
  let chromium;
  try {
    const check = await page.evaluate(() => window.check());
    if (check !== CHECK) throw new Error(`Chromium: crc64("123456789") is ${check}, not ${CHECK}`);
    chromium = { version: browser.version(), ...(await page.evaluate((o) => window.run(o), { size, seed, rounds })) };
  } finally {
    await browser.close();
    server.close();
  }
  if (chromium.crc !== node.crc)
    throw new Error(`Chromium's CRC-64 of the bytes (${chromium.crc}) differs from Node's (${node.crc})`);

  const rows = [
    [`Node ${process.version} (dist/cos-sign.mjs)`, rates(size, node.ms), node.ms],
    [`Chromium ${chromium.version} (dist/cos-sign.umd.js)`, rates(size, chromium.ms), chromium.ms],
  ];
  console.log(
    `\n### crc64() over ${size / MiB} MiB of pseudo-random bytes, ${rounds} passes after a warm-up (a full GC before each)\n`,
  );
  console.log(`Both give CRC-64 ${node.crc} for the bytes, and ${CHECK} for "123456789".\n`);
  console.log('| runtime | GiB/s best | GiB/s median | ms per pass (each) |\n|---|--:|--:|---|');
  for (const [name, r, ms] of rows)
    console.log(
      `| ${name} | ${r.best.toFixed(2)} | ${r.median.toFixed(2)} | ${ms.map((m) => m.toFixed(0)).join(', ')} |`,
    );
  console.log(
    `\nLoad average during the part: ${before} → ${load()} on ${os.cpus().length} CPUs; the goal is judged on the best pass, the one least slowed by other processes.`,
  );
  for (const [name, r] of rows)
    goal(
      `crc64 throughput >= 1 GiB/s in ${name.split(' (')[0]}`,
      r.best >= 1,
      `best ${r.best.toFixed(2)} GiB/s (median ${r.median.toFixed(2)})`,
    );
  return { node: rows[0][1], chromium: rows[1][1], crc: node.crc };
}
