#!/usr/bin/env node
// cos-sign: presign COS URLs, Authorization headers and POST forms from a shell; `cos-sign serve` runs
// the local COS server (server/cli.mjs).
// Credentials come from COS_SECRET_ID / COS_SECRET_KEY / COS_SECURITY_TOKEN, the region from COS_REGION
// or --region. Exit 0 on success, 2 on a usage error, 1 otherwise. An error is one line on stderr that
// ends with its code, "cos-sign: <message> (<code>)": ERR_USAGE for a usage error, the CosSignError's
// code for a refusal of the library. The SecretKey is never printed; the security token appears only
// where the request needs it (the URL's x-cos-security-token, the header).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CosSigner, CosSignError, getPostPolicy } from '../dist/cos-sign.mjs';

const HOST_OPTIONS = `  --region R          the bucket's region, e.g. ap-guangzhou (default: $COS_REGION)
  --endpoint E        host suffix instead of the region's: host = <bucket>.E
  --domain D          the whole host (custom or CDN domain, optional :port); the bucket is not added
  --scheme S          https or http (default: https)`;

const ENV = `Environment:
  COS_SECRET_ID       SecretId (required)
  COS_SECRET_KEY      SecretKey (required; never printed)
  COS_SECURITY_TOKEN  session token of temporary credentials (optional)
  COS_REGION          default region`;

const SIGN_OPTIONS = `  --method M          GET, PUT, POST, DELETE or HEAD (default: GET)
  --expires N         seconds the signature stays valid (default: 300)
${HOST_OPTIONS}
  --param name=value  a query parameter to sign (repeatable; "--param uploads" signs "uploads=")
  --header "N: v"     a header to sign; the request must then send it exactly (repeatable)
  --no-sign-host      do not sign the host header (the signature then works for any bucket)
  --json              print JSON
  -h, --help          show this help`;

const HELP = {
  main: `Usage: cos-sign <command> cos://<bucket>/<key> [options]

Sign Tencent Cloud COS requests from a shell.

Commands:
  url      print a presigned URL
  auth     print the headers to send (Authorization, x-cos-security-token)
  policy   print a POST Object form (HTML form upload) for a key prefix
  serve    run a local COS server for tests (no Tencent account; see "cos-sign serve --help")

Run "cos-sign <command> --help" for a command's options, "cos-sign --version" for the version.

${ENV}

Exit status: 0 success, 2 usage error, 1 any other error. Errors go to stderr as
"cos-sign: <message> (<code>)", ERR_USAGE for a usage error.
`,
  url: `Usage: cos-sign url cos://<bucket>/<key> [options]

Prints a presigned URL. Whoever uses it must send exactly the headers given with --header.
The key is taken literally as typed (not URL-decoded); cos://<bucket>/ is the bucket itself.

Options:
${SIGN_OPTIONS}

JSON output: { "url", "method", "headers", "expiresAt" }

Example:
  cos-sign url cos://examplebucket-1250000000/photos/a.png --method PUT --expires 600 \\
    --header "Content-Type: image/png"

${ENV}
`,
  auth: `Usage: cos-sign auth cos://<bucket>/<key> [options]

Prints the headers to send, one "Name: value" a line: the --header values you signed, then
Authorization and (with temporary credentials) x-cos-security-token. curl reads them with -H @file.

Options:
${SIGN_OPTIONS}

JSON output: { "method", "url", "headers" } (url: the object's URL with the signed params, unsigned)

Example:
  curl -X PUT -T a.png -H @<(cos-sign auth cos://examplebucket-1250000000/a.png --method PUT \\
    --header "Content-Type: image/png") https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a.png

${ENV}
`,
  policy: `Usage: cos-sign policy cos://<bucket>/<keyPrefix> [options]

Prints a signed POST Object form: the URL to post to on the first line, then one "name=value" a line
for each form field. Add the file as the last field ("file"). Keys must start with <keyPrefix>.

Options:
  --expires N                     seconds the policy stays valid (default: 300)
  --content-length-range MIN,MAX  allowed file size in bytes, e.g. 0,10485760
  --content-type T                the Content-Type the object gets (a form field the policy pins)
  --success-action-status N       200, 201 or 204: COS's answer to a successful upload (default: 204)
${HOST_OPTIONS}
  --json                          print { "url", "fields" }
  -h, --help                      show this help

Example:
  cos-sign policy cos://examplebucket-1250000000/uploads/ --content-length-range 1,10485760 --json

${ENV}
`,
};

/** A usage error: exit 2, code ERR_USAGE. */
class UsageError extends Error {
  code = 'ERR_USAGE';
}

const COMMON = {
  expires: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  domain: { type: 'string' },
  scheme: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const OPTIONS = {
  url: {
    ...COMMON,
    method: { type: 'string' },
    param: { type: 'string', multiple: true },
    header: { type: 'string', multiple: true },
    'no-sign-host': { type: 'boolean' },
  },
  policy: {
    ...COMMON,
    'content-length-range': { type: 'string' },
    'content-type': { type: 'string' },
    'success-action-status': { type: 'string' },
  },
};
OPTIONS.auth = OPTIONS.url;

/** `cos://<bucket>/<key>`: the key is everything after the first `/` after the bucket, as typed. */
const parseTarget = (s, cmd, hasDomain) => {
  if (s === undefined) throw new UsageError(`missing cos://<bucket>/${cmd === 'policy' ? '<keyPrefix>' : '<key>'}`);
  const m = /^cos:\/\/([^/]*)(?:\/([\s\S]*))?$/.exec(s);
  if (!m)
    throw new UsageError(
      `expected cos://<bucket>/${cmd === 'policy' ? '<keyPrefix>' : '<key>'}, received ${JSON.stringify(s)}`,
    );
  if (!m[1] && !hasDomain)
    throw new UsageError(`${JSON.stringify(s)} names no bucket (only --domain lets you leave it out)`);
  return { bucket: m[1], key: m[2] ?? '' };
};

const positiveInt = (name, v) => {
  if (!/^[1-9]\d*$/.test(v))
    throw new UsageError(`--${name} must be a positive integer, received ${JSON.stringify(v)}`);
  return Number(v);
};

const record = (list = [], sep, name) => {
  const out = {};
  for (const item of list) {
    const i = item.indexOf(sep);
    if (sep === ':' && i < 1)
      throw new UsageError(`--${name} must look like "Name: value", received ${JSON.stringify(item)}`);
    if (sep === '=' && i === 0)
      throw new UsageError(`--${name} must look like name=value, received ${JSON.stringify(item)}`);
    const k = i < 0 ? item : item.slice(0, i);
    const v = i < 0 ? '' : item.slice(i + 1);
    if (Object.hasOwn(out, k)) throw new UsageError(`--${name} ${JSON.stringify(k)} is given twice`);
    out[k] = sep === ':' ? v.trim() : v;
  }
  return out;
};

const env = (name) => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

const signerFor = (v) => {
  const secretId = env('COS_SECRET_ID');
  const secretKey = env('COS_SECRET_KEY');
  const missing = [!secretId && 'COS_SECRET_ID', !secretKey && 'COS_SECRET_KEY'].filter(Boolean);
  if (missing.length)
    throw new UsageError(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set (export your SecretId and SecretKey; for temporary keys also COS_SECURITY_TOKEN)`,
    );
  const hosts = ['endpoint', 'domain'].filter((n) => v[n] !== undefined);
  if (hosts.length > 1) throw new UsageError('give at most one of --endpoint and --domain');
  const region = v.region ?? env('COS_REGION');
  if (!region && !hosts.length)
    throw new UsageError('no region: set COS_REGION or pass --region (or --endpoint / --domain)');
  if (v.scheme !== undefined && v.scheme !== 'https' && v.scheme !== 'http')
    throw new UsageError(`--scheme must be https or http, received ${JSON.stringify(v.scheme)}`);
  const securityToken = env('COS_SECURITY_TOKEN');
  return new CosSigner({
    credentials: { secretId, secretKey, ...(securityToken && { securityToken }) },
    ...(hosts.length ? { [hosts[0]]: v[hosts[0]] } : { region }),
    ...(v.scheme && { scheme: v.scheme }),
  });
};

/** The end of a signature's window, from its q-key-time. */
const expiresAt = (keyTime) => new Date(Number(decodeURIComponent(keyTime).split(';')[1]) * 1000).toISOString();

const commands = {
  async url(v, target) {
    const signer = signerFor(v);
    const headers = record(v.header, ':', 'header');
    const options = signOptions(v, target, headers);
    const url = await signer.getPresignedUrl(options);
    if (!v.json) return url + '\n';
    const keyTime = /[?&]q-key-time=([^&]*)/.exec(url)[1];
    return JSON.stringify({ url, method: options.method, headers, expiresAt: expiresAt(keyTime) }, null, 2) + '\n';
  },
  async auth(v, target) {
    const signer = signerFor(v);
    const headers = record(v.header, ':', 'header');
    const options = signOptions(v, target, headers);
    const auth = await signer.getAuthHeaders(options);
    const all = { ...headers, ...auth };
    if (!v.json)
      return Object.entries(all)
        .map(([k, x]) => `${k}: ${x}\n`)
        .join('');
    let url;
    try {
      // The object's URL (scheme, host, encoded path) from a presigned URL, with the signed params.
      const presigned = await signer.getPresignedUrl({ ...options, params: {} });
      const query = Object.entries(options.params).map(
        ([k, x]) => encodeURIComponent(k) + (x === '' ? '' : '=' + encodeURIComponent(x)),
      );
      url = presigned.slice(0, presigned.indexOf('?')) + (query.length ? '?' + query.join('&') : '');
    } catch {
      url = undefined; // keys such as "." have no URL form; the headers still sign them
    }
    return JSON.stringify({ method: options.method, url, headers: all }, null, 2) + '\n';
  },
  async policy(v, target) {
    const signer = signerFor(v);
    const options = { bucket: target.bucket, keyPrefix: target.key };
    if (v.expires !== undefined) options.expires = positiveInt('expires', v.expires);
    const range = v['content-length-range'];
    if (range !== undefined) {
      const m = /^(\d+),(\d+)$/.exec(range);
      if (!m || Number(m[1]) > Number(m[2]))
        throw new UsageError(
          `--content-length-range must be MIN,MAX in bytes with MIN <= MAX, received ${JSON.stringify(range)}`,
        );
      options.contentLengthRange = [Number(m[1]), Number(m[2])];
    }
    if (v['content-type'] !== undefined) options.contentType = v['content-type'];
    const status = v['success-action-status'];
    if (status !== undefined) {
      if (!/^20[014]$/.test(status))
        throw new UsageError(`--success-action-status must be 200, 201 or 204, received ${JSON.stringify(status)}`);
      options.successActionStatus = Number(status);
    }
    const form = await getPostPolicy(signer, options);
    if (v.json) return JSON.stringify({ url: form.url, fields: form.fields }, null, 2) + '\n';
    return (
      form.url +
      '\n' +
      Object.entries(form.fields)
        .map(([k, x]) => `${k}=${x}\n`)
        .join('')
    );
  },
};

const signOptions = (v, target, headers) => ({
  method: (v.method ?? 'GET').toUpperCase(),
  bucket: target.bucket,
  key: target.key || '/',
  ...(v.expires !== undefined && { expires: positiveInt('expires', v.expires) }),
  params: record(v.param, '=', 'param'),
  headers,
  ...(v['no-sign-host'] && { signHost: false }),
});

const version = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Runs the command line; returns the exit status. */
const main = async (argv) => {
  const [cmd, ...rest] = argv;
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    const topic = HELP[rest[0]] ?? HELP.main;
    process.stdout.write(topic);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  if (!cmd) throw new UsageError('missing command: url, auth, policy or serve');
  if (cmd === 'serve') {
    const { serve } = await import('../server/cli.mjs');
    return serve(rest).catch((e) => {
      throw e?.code === 'ERR_USAGE' ? new UsageError(e.message) : e;
    });
  }
  if (!Object.hasOwn(commands, cmd))
    throw new UsageError(`unknown command ${JSON.stringify(cmd)}: expected url, auth, policy or serve`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS[cmd], allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e.message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''));
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(HELP[cmd]);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const target = parseTarget(positionals[0], cmd, v.domain !== undefined);
  process.stdout.write(await commands[cmd](v, target));
  return 0;
};

/** Never print a secret, whatever the error says. */
const scrub = (s) => {
  for (const name of ['COS_SECRET_KEY', 'COS_SECURITY_TOKEN']) {
    const secret = env(name);
    if (secret && secret.length >= 4) s = s.split(secret).join('***').split(encodeURIComponent(secret)).join('***');
  }
  return s;
};

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    const cmd = process.argv[2];
    // One line that ends with the error's code; anything unforeseen keeps a system code (EPIPE…) if it has one.
    const code =
      e instanceof UsageError || e instanceof CosSignError || /^E[A-Z0-9_]+$/.test(e?.code) ? e.code : 'ERR_UNEXPECTED';
    const message = (e?.message || String(e)).trim().replace(/\s*\n\s*/g, ' ');
    process.stderr.write(scrub(`cos-sign: ${message} (${code})\n`));
    if (e instanceof UsageError) {
      const hint =
        (Object.hasOwn(HELP, cmd ?? '') && cmd !== 'main') || cmd === 'serve'
          ? `cos-sign ${cmd} --help`
          : 'cos-sign --help';
      process.stderr.write(`Run "${hint}" for usage.\n`);
      process.exitCode = 2;
    } else {
      // Refusals of the arguments (bucket, key, method, header…) are usage errors; the rest are not.
      process.exitCode = e instanceof CosSignError && /^ERR_INVALID_/.test(e.code) ? 2 : 1;
    }
  },
);
