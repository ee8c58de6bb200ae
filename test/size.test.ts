// `npm run size` guards the budgets: it exits 1 when an app, built with one of the four bundlers, or the
// UMD file is over its budget. `npm test` runs it with the real budgets (scripts/size.mjs); here every
// budget is first set far above today's sizes and then one is set below, so the check must fail on that
// one only, whatever the sizes of the day. It runs the script as `npm run size` does, in a child
// process, so the environment of the test does not matter.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const ROOMY = ['presign=1000000', 'upload=1000000', 'umd=1000000'];
const ROWS = [
  'presign.rollup',
  'presign.esbuild',
  'presign.webpack',
  'presign.vite',
  'upload.rollup',
  'upload.esbuild',
  'upload.webpack',
  'upload.vite',
  'umd',
];

const size = (budgets: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(ROOT, 'scripts/size.mjs'), '--no-why', ...budgets.flatMap((b) => ['--budget', b])],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (code === -1) reject(err);
        else resolve({ code, stdout, stderr });
      },
    ),
  );

/** The verdict of each row: { 'presign.rollup': 'ok', … }. */
const verdicts = (stdout: string) =>
  Object.fromEntries([...stdout.matchAll(/^ {2}(ok {2}|OVER) (\S+) /gm)].map((m) => [m[2], m[1].trim()]));
const only = (over: string) => Object.fromEntries(ROWS.map((r) => [r, r === over ? 'OVER' : 'ok']));

// The script runs in a child process, so once (under Node) is enough: vitest.config.mjs leaves this file out of the
// happy-dom project. Each run builds 8 apps.
describe.concurrent('npm run size fails when a budget is exceeded', () => {
  it('every budget roomy: exit 0, a row for each app and bundler, each with its chunk count', async () => {
    const r = await size(ROOMY);
    expect(verdicts(r.stdout)).toEqual(only(''));
    for (const row of ROWS.filter((x) => x !== 'umd'))
      expect(r.stdout).toMatch(
        new RegExp(
          `^ {2}ok {3}${row.replace('.', '\\.')} +[\\d,]+ B min, +[\\d,]+ B gzip, \\d+ chunks? \\(budget 1,000,000 B;`,
          'm',
        ),
      );
    expect(r.stdout).toMatch(
      /rollup [\d.]+ \+ node-resolve [\d.]+ \+ terser [\d.]+; esbuild [\d.]+ \(minify\); webpack [\d.]+ \(production, its terser\); Vite [\d.]+ /,
    );
    expect(r.stdout).not.toMatch(/lazily/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('the presign app with rollup over a 1,000 B budget: exit 1, on that row only', async () => {
    const r = await size([...ROOMY, 'presign.rollup=1000']);
    expect(verdicts(r.stdout)).toEqual(only('presign.rollup'));
    expect(r.stdout).toMatch(/^ {2}OVER presign\.rollup .* gzip, \d+ chunks? \(budget 1,000 B;/m);
    expect(r.stderr).toContain('size budget exceeded');
    expect(r.code).toBe(1);
  }, 60_000);

  it('the uploading app with webpack (given before its app budget: the precise one wins) and the UMD file over 1,000 B: exit 1, on those rows', async () => {
    const r = await size(['upload.webpack=1000', ...ROOMY, 'umd=1000']);
    expect(verdicts(r.stdout)).toEqual({ ...only('umd'), 'upload.webpack': 'OVER' });
    expect(r.stdout).toMatch(/^ {2}OVER upload\.webpack .* \(budget 1,000 B;/m);
    expect(r.stdout).toMatch(/^ {2}OVER umd .* \(budget 1,000 B;/m);
    expect(r.code).toBe(1);
  }, 60_000);

  it('a malformed budget is an error, not a pass', async () => {
    for (const bad of ['presign=lots', 'presign.parcel=1000', 'umd.rollup=1000']) {
      const r = await size([bad]);
      expect(r.stderr).toContain(`--budget ${bad}: expected KEY=BYTES`);
      expect(r.code).toBe(1);
    }
  }, 60_000);
});
