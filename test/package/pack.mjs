// The package as a user installs it: `npm pack` of the repository, unpacked into <dir>/node_modules/cos-sign
// (cos-sign has no dependencies, so that is the whole install). Only the files npm publishes are there.
// And `npm pack` of a clean clone of the committed HEAD, as a publish from a fresh checkout or an
// install from git makes it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Packs the repository into `dir` and unpacks it to `dir/node_modules/cos-sign`; returns that path.
 * The built dist/ of this checkout as it is (`--ignore-scripts`: prepack does not build it again).
 */
export const installPacked = (dir) => {
  const pkgDir = join(dir, 'node_modules/cos-sign');
  mkdirSync(pkgDir, { recursive: true });
  const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tarball = join(dir, JSON.parse(pack.stdout)[0].filename);
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1'], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar -xzf ${tarball} failed: ${untar.stderr}`);
  return pkgDir;
};

/** Runs a command (at most `timeout` ms); resolves to its exit status, stdout and stdout + stderr. */
export const run = (cmd, args, { timeout = 180_000, ...opts } = {}) =>
  new Promise((done) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let out = '';
    child.stdout.on('data', (d) => ((stdout += d), (out += d)));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (e) => (out += e.message));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ status: signal ?? status, stdout, out: out.trim() });
    });
  });

/**
 * `npm pack` of a clean clone of this repository's committed HEAD (`git clone` of the repository
 * root, then HEAD's commit checked out): none of this checkout's uncommitted or ignored files, dist/
 * included, so the package carries dist/ only if packing builds it (the prepack script). Lifecycle
 * scripts run as they do for `npm publish` and for installs from git. Resolves to { tarball, files }.
 *
 * Building needs the dev dependencies. Installing them again (`npm ci`, ~20 s, from the network)
 * would test npm, not this package; so the clone's node_modules is a symlink to this checkout's, which
 * was installed from the same package-lock.json. If the clone's lockfile is not this checkout's (an
 * uncommitted change), the clone gets its own `npm ci --prefer-offline` instead.
 */
export const packCleanClone = async (dir) => {
  const git = async (args, cwd) => {
    const r = await run('git', args, { cwd, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (a clean clone needs a git checkout):\n${r.out}`);
    return r.stdout.trim();
  };
  const top = await git(['rev-parse', '--show-toplevel'], root);
  const head = await git(['rev-parse', 'HEAD'], root);
  const clone = join(dir, 'clone');
  await git(['clone', '--quiet', '--shared', '--no-checkout', top, clone], dir);
  await git(['checkout', '--quiet', '--detach', head], clone);
  const pkgDir = join(clone, relative(top, root));
  if (readFileSync(join(pkgDir, 'package-lock.json'), 'utf8') === readFileSync(join(root, 'package-lock.json'), 'utf8'))
    symlinkSync(join(root, 'node_modules'), join(pkgDir, 'node_modules'), 'dir');
  else {
    const ci = await run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: pkgDir,
    });
    if (ci.status !== 0) throw new Error(`npm ci in the clone failed:\n${ci.out}`);
  }
  const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: pkgDir });
  if (pack.status !== 0) throw new Error(`npm pack of the clone failed:\n${pack.out}`);
  const [info] = JSON.parse(pack.stdout);
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path) };
};
