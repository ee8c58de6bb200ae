// The package as a user installs it: `npm pack` of the repository, unpacked into <dir>/node_modules/cos-sign
// (cos-sign has no dependencies, so that is the whole install). Only the files npm publishes are there.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Packs the repository into `dir` and unpacks it to `dir/node_modules/cos-sign`; returns that path. */
export const installPacked = (dir) => {
  const pkgDir = join(dir, 'node_modules/cos-sign');
  mkdirSync(pkgDir, { recursive: true });
  const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tarball = join(dir, JSON.parse(pack.stdout)[0].filename);
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1'], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar -xzf ${tarball} failed: ${untar.stderr}`);
  return pkgDir;
};
