// `cos-sign serve`: starts the local COS server (index.mjs) from a shell and prints what to paste into a
// CosSigner or an official SDK's config; one line per request (method, path, status: no query string, so
// no signature or token); Ctrl-C stops it. A SecretKey given with --key is never printed; only a generated
// one is, once, in the banner (it is the only way to learn it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCosServer } from './index.mjs';

export const SERVE_HELP = `Usage: cos-sign serve [options]

Runs a local COS server for tests: the COS XML API on one host for all buckets, every signature
checked as COS checks it, COS's XML errors, and an STS stand-in whose temporary keys it accepts.

Options:
  --port N            port (default 8788; 0: any free port)
  --host H            address to bind (default 127.0.0.1)
  --data DIR          keep objects in DIR across restarts (default: in memory)
  --bucket NAME       a bucket, NAME-APPID (repeatable; default test-1250000000); 127.0.0.1 reaches the first
  --key ID:SECRET     a permanent key pair it accepts (repeatable; default: one generated and printed)
  --clock-skew S      seconds its clock runs ahead (negative: behind)
  --max-object-size N the largest object in bytes (default 5 TiB)
  --sts-cert FILE     with --sts-key: the STS stand-in serves https with this PEM certificate
  --sts-key FILE      (qcloud-cos-sts only calls https://; your client must trust the certificate)
  --quiet             no line per request
  -h, --help          show this help

Ctrl-C stops it.
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  bucket: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  'clock-skew': { type: 'string' },
  'max-object-size': { type: 'string' },
  'sts-cert': { type: 'string' },
  'sts-key': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const usage = (message) => Object.assign(new Error(message), { code: 'ERR_USAGE' });

const number = (name, v, test) => {
  const n = Number(v);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || !test(n)) throw usage(`--${name} must be ${test.want}, received ${JSON.stringify(v)}`);
  return n;
};
const port = Object.assign((n) => n >= 0 && n <= 65535, { want: 'a port number (0 to 65535)' });
const any = Object.assign(() => true, { want: 'an integer' });
const positive = Object.assign((n) => n > 0, { want: 'a positive integer' });

/** The options for startCosServer from the command line (throws an ERR_USAGE error). */
export const serveOptions = (args) => {
  let v;
  try {
    ({ values: v } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw usage(e.message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''));
  }
  if (v.help) return { help: true };
  const credentials = v.key?.map((k) => {
    const i = k.indexOf(':');
    if (i < 1 || i === k.length - 1) throw usage('--key must look like ID:SECRET');
    return { secretId: k.slice(0, i), secretKey: k.slice(i + 1) };
  });
  for (const b of v.bucket ?? [])
    if (!/^[a-z0-9][a-z0-9-]*-\d+$/.test(b))
      throw usage(`--bucket must look like name-APPID (e.g. test-1250000000), received ${JSON.stringify(b)}`);
  if (!v['sts-cert'] !== !v['sts-key']) throw usage('--sts-cert and --sts-key go together');
  let tls;
  try {
    if (v['sts-cert']) tls = { cert: readFileSync(v['sts-cert']), key: readFileSync(v['sts-key']) };
  } catch (e) {
    throw usage(`cannot read the STS certificate or key: ${e.message}`);
  }
  return {
    ...(tls && { sts: { tls } }),
    port: number('port', v.port, port) ?? 8788,
    host: v.host ?? '127.0.0.1',
    ...(v.data !== undefined && { dataDir: path.resolve(v.data) }),
    ...(v.bucket && { buckets: v.bucket }),
    ...(credentials && { credentials }),
    clockSkew: number('clock-skew', v['clock-skew'], any) ?? 0,
    ...(v['max-object-size'] !== undefined && {
      maxObjectSize: number('max-object-size', v['max-object-size'], positive),
    }),
    quiet: !!v.quiet,
    keysGiven: !!credentials,
  };
};

/** The banner: where it is, its buckets, a key pair, the STS endpoint and the CosSigner line. */
export const banner = (cos, { keysGiven, clockSkew }) => {
  const { secretId } = cos.credentials;
  const secretKey = keysGiven ? '<the SecretKey you gave with --key>' : cos.credentials.secretKey;
  const js = (s) => `'${String(s).replace(/['\\]/g, '\\$&')}'`;
  return [
    `cos-sign serve: a local COS at ${cos.url}`,
    '',
    `  Buckets     ${cos.buckets.join(', ')}${cos.buckets.length > 1 ? ` (${cos.domain} reaches the first)` : ''}`,
    `  Data        ${cos.dataDir ?? 'in memory (gone when it stops; --data DIR keeps it)'}`,
    `  SecretId    ${secretId}`,
    `  SecretKey   ${secretKey}`,
    `  STS         ${cos.stsEndpoint}  (GetFederationToken, AssumeRole: its keys work here)`,
    ...(clockSkew ? [`  Clock       ${clockSkew} s ${clockSkew > 0 ? 'ahead' : 'behind'}`] : []),
    '',
    `  new CosSigner({ domain: ${js(cos.domain)}, scheme: 'http', credentials: { secretId: ${js(secretId)}, secretKey: ${js(secretKey)} } })`,
    `  Official SDKs: Domain ${js(cos.domain)}, Protocol 'http:' (Node/JS), Scheme='http' (Python)`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
};

/** Runs `cos-sign serve`; resolves with the exit status once a signal stopped it. */
export const serve = async (args, { stdout = process.stdout } = {}) => {
  const o = serveOptions(args);
  if (o.help) {
    stdout.write(SERVE_HELP);
    return 0;
  }
  const { quiet, keysGiven, ...options } = o;
  const time = () => new Date().toISOString().slice(11, 19);
  const cos = await startCosServer({
    ...options,
    ...(!quiet && { log: (line) => stdout.write(`${time()} ${line}\n`) }),
  });
  stdout.write(banner(cos, { keysGiven, clockSkew: options.clockSkew }));
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await cos.close();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
};
