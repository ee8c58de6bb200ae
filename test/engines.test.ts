// `npm ci` prints no EBADENGINE warning on any Node version this project supports for development:
// the range in package.json "devEngines" (npm refuses to install or run scripts outside it), which the
// README states too. Every package either lockfile installs must accept every version in that range.
// An optional package that does not is skipped by npm without a warning, so it is allowed
// (rollup-plugin-dts's optional @babel/code-frame, for nicer error frames, wants Node 22.18+).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const semver = require('semver') as { subset(sub: string, sup: string): boolean; validRange(r: string): string | null };

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
const pkg = json('package.json');
const DEV: string = pkg.devEngines?.runtime?.version;

interface Locked {
  version?: string;
  optional?: boolean;
  engines?: { node?: string } | string[];
}

/** The packages of a lockfile (v2/v3) whose `engines.node` does not accept every version of `range`. */
const misfits = (lockfile: string, range: string) => {
  const { packages } = json(lockfile) as { packages: Record<string, Locked> };
  const out: { name: string; node: string; optional: boolean }[] = [];
  for (const [path, p] of Object.entries(packages)) {
    const node = Array.isArray(p.engines) ? undefined : p.engines?.node;
    if (path === '' || !node || semver.subset(range, node)) continue;
    out.push({
      name: `${path.slice(path.lastIndexOf('node_modules/') + 13)}@${p.version}`,
      node,
      optional: !!p.optional,
    });
  }
  return out;
};

describe('development Node versions', () => {
  it('package.json states them in devEngines, and the README says the same', () => {
    expect(pkg.devEngines.runtime).toMatchObject({ name: 'node', onFail: 'error' });
    expect(semver.validRange(DEV)).not.toBeNull();
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node \`${DEV}\``);
    // The published package claims less than development needs, never more.
    expect(semver.subset(DEV, pkg.engines.node)).toBe(true);
  });

  for (const lockfile of ['package-lock.json', 'test/runtimes/package-lock.json'])
    it(`every package of ${lockfile} accepts them (no EBADENGINE)`, () => {
      const bad = misfits(lockfile, DEV);
      expect(bad.filter((p) => !p.optional)).toEqual([]);
    });

  it('the check catches a package that wants a newer Node (the @sparticuz/chromium 153 case)', () => {
    expect(semver.subset(DEV, '^22.17.0 || >=24.0.0')).toBe(false);
    expect(semver.subset(DEV, '>=20.11.0')).toBe(true);
  });
});
