// The demo guide (docs/demo.md) tells users how to point their own script at the local COS server. Its
// snippet runs here as written, as a Node .mjs file in a child process, against a demo instance on
// ephemeral ports: only the two ports are changed, and 'cos-sign' is the built package.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { start } from '../../demo/server/index.mjs';
import { jsBlocks } from '../../scripts/check-readme.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
let demo;
let dir;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-readme-demo-'));
  demo = await start({ port: 0, cosPort: 0 });
});

afterAll(async () => {
  await demo?.close();
  if (demo?.cos) await fsp.rm(demo.cos.dataDir, { recursive: true, force: true });
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

it("the demo guide's snippet for the local server uploads and downloads through it", async () => {
  const guide = await fsp.readFile(path.join(root, 'docs/demo.md'), 'utf8');
  const snippets = jsBlocks(guide, 'docs/demo.md').filter((b) => b.code.includes("domain: '127.0.0.1:8788'"));
  expect(snippets).toHaveLength(1);
  const { code } = snippets[0];
  expect(code).toContain("scheme: 'http'");
  const cosHost = new URL(demo.cosUrl).host;
  const script = code
    .replaceAll('127.0.0.1:8788', cosHost)
    .replaceAll('http://127.0.0.1:8787', demo.pageUrl)
    .replace("from 'cos-sign'", `from ${JSON.stringify(pathToFileURL(path.join(root, 'dist/cos-sign.mjs')).href)}`);
  const file = path.join(dir, 'try-local.mjs');
  await fsp.writeFile(file, script);
  const { stdout, stderr } = await new Promise((resolve, reject) =>
    execFile(process.execPath, [file], { timeout: 30_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut }),
    ),
  );
  expect(stderr).toBe('');
  expect(stdout).toBe('PUT 200\nhello from my script\n');
  expect((await demo.cos.readObject('uploads/hello.txt'))?.data.toString()).toBe('hello from my script');
  expect(demo.stats.sts).toBe(1);
});
