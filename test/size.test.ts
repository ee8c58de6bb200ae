// `npm run size` guards the budgets: it exits 1 when the presign path or the UMD file is over its
// budget. `npm test` runs it with the real budgets (scripts/size.mjs); here each budget is set below
// today's size, one at a time, and the check must fail on that one only. It runs the script as
// `npm run size` does, in a child process, so the environment of the test does not matter.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const size = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) =>
    execFile(process.execPath, [join(ROOT, 'scripts/size.mjs'), '--no-why', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (code === -1) reject(err);
      else resolve({ code, stdout, stderr });
    }),
  );

describe.concurrent('npm run size fails when a budget is exceeded', () => {
  it('the presign path over a 1,000 B budget: exit 1', async () => {
    const r = await size(['--budget', 'presign=1000']);
    expect(r.stdout).toMatch(/^ {2}OVER presign path .* gzip \(budget 1,000 B;/m);
    expect(r.stdout).toMatch(/^ {2}ok {3}whole UMD file .* \(budget 9,800 B;/m);
    expect(r.stdout).toMatch(/^ {7}\+ lazily loaded, not on the presign path: /m);
    expect(r.stderr).toContain('size budget exceeded');
    expect(r.code).toBe(1);
  }, 60_000);

  it('the UMD file over a 1,000 B budget: exit 1', async () => {
    const r = await size(['--budget', 'umd=1000']);
    expect(r.stdout).toMatch(/^ {2}ok {3}presign path .* \(budget 4,300 B;/m);
    expect(r.stdout).toMatch(/^ {2}OVER whole UMD file .* \(budget 1,000 B;/m);
    expect(r.code).toBe(1);
  }, 60_000);

  it('a malformed budget is an error, not a pass', async () => {
    const r = await size(['--budget', 'presign=lots']);
    expect(r.stderr).toContain('--budget presign=lots: expected presign=BYTES or umd=BYTES');
    expect(r.code).toBe(1);
  }, 60_000);
});
