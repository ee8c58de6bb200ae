// The cos-sign command, run as a child process with credentials in its environment. Every signature it
// prints is checked with code this project did not write: the official Node SDK's
// COS.getAuthorization (cos-nodejs-sdk-v5) for URLs and headers, node:crypto for the POST policy
// (COS API "POST Object"). Every run also checks that no output shows the SecretKey, and that the
// security token appears only where the request needs it.
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const COS = require('cos-nodejs-sdk-v5') as { getAuthorization(o: Record<string, unknown>): string };

// Paths from the file path: under happy-dom the global URL is not Node's.
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BIN = join(ROOT, 'bin', 'cos-sign.mjs');
const DIST = join(ROOT, 'dist', 'cos-sign.mjs');

const ID = 'AKIDcliTestSecretId0123456789';
const KEY = 'cliTestSecretKey+/=&;%0123456789';
const TOKEN = 'cliTestSessionToken+/=&%~0123456789abcdef';
const BUCKET = 'examplebucket-1250000000';
const HOST = `${BUCKET}.cos.ap-guangzhou.myqcloud.com`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every spelling of a secret a careless printer could produce. */
const spellings = (s: string) => [
  s,
  encodeURIComponent(s),
  Buffer.from(s).toString('base64'),
  JSON.stringify(s).slice(1, -1),
];

/**
 * Runs the command with only the given environment (plus PATH), and checks on every run that the
 * SecretKey is nowhere in the output and the token nowhere but in its own parameter or header.
 */
const cli = (args: string[], env: Record<string, string | undefined> = {}): Promise<Run> => {
  const e: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const [k, v] of Object.entries({ COS_SECRET_ID: ID, COS_SECRET_KEY: KEY, COS_REGION: 'ap-guangzhou', ...env }))
    if (v !== undefined) e[k] = v;
  return new Promise<Run>((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: e, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (err && code === -1) return reject(err);
      resolve({ code, stdout, stderr });
    });
  }).then((r) => {
    const { stdout, stderr } = r;
    for (const s of spellings(e.COS_SECRET_KEY ?? '\0never')) {
      expect(stdout, 'stdout shows the SecretKey').not.toContain(s);
      expect(stderr, 'stderr shows the SecretKey').not.toContain(s);
    }
    if (e.COS_SECURITY_TOKEN) {
      for (const s of spellings(e.COS_SECURITY_TOKEN)) expect(stderr, 'stderr shows the token').not.toContain(s);
      const rest = stdout
        .replace(/([?&]x-cos-security-token=)[^&"\s]*/g, '$1')
        .replace(/^(x-cos-security-token[:=] ?).*$/gm, '$1')
        .replace(/("x-cos-security-token": )"[^"]*"/g, '$1""');
      for (const s of spellings(e.COS_SECURITY_TOKEN))
        expect(rest, 'the token outside its parameter or header').not.toContain(s);
    }
    return r;
  });
};

/** The query of a URL, decoded, in order. */
const query = (url: string): [string, string][] =>
  url
    .slice(url.indexOf('?') + 1)
    .split('&')
    .map((kv) => {
      const i = kv.indexOf('=');
      return [decodeURIComponent(i < 0 ? kv : kv.slice(0, i)), i < 0 ? '' : decodeURIComponent(kv.slice(i + 1))];
    });

const Q_FIELDS = [
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
];

/** Splits an Authorization value into its fields; the order must be COS's. */
const authFields = (auth: string): Record<string, string> => {
  const pairs = auth.split('&').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]);
  expect(pairs.map((p) => p[0])).toEqual(Q_FIELDS);
  return Object.fromEntries(pairs);
};

/** The signing window must be the contract's: [now - 60, now + expires], taken at the time of the run. */
const checkWindow = (keyTime: string, expires: number, t0: number, t1: number) => {
  const [start, end] = keyTime.split(';').map(Number);
  expect(start + 60).toBeGreaterThanOrEqual(Math.floor(t0 / 1000));
  expect(start + 60).toBeLessThanOrEqual(Math.floor(t1 / 1000));
  expect(end - start).toBe(60 + expires);
};

/** What the official SDK signs for the same request, with the key time the CLI chose. */
const sdkAuth = (o: {
  method: string;
  key: string;
  keyTime: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  secretKey?: string;
}) =>
  COS.getAuthorization({
    SecretId: ID,
    SecretKey: o.secretKey ?? KEY,
    Method: o.method,
    Key: o.key,
    Query: o.query ?? {},
    Headers: o.headers ?? {},
    KeyTime: o.keyTime,
  });

/** Checks a presigned URL against the SDK: host, path, params carried, signature. */
const checkUrl = (
  url: string,
  want: {
    method: string;
    key: string;
    host?: string;
    scheme?: string;
    params?: Record<string, string>;
    headers?: Record<string, string>;
    signHost?: boolean;
    token?: string;
    expires?: number;
  },
  t0: number,
  t1: number,
) => {
  const scheme = want.scheme ?? 'https';
  const host = want.host ?? HOST;
  expect(url.startsWith(`${scheme}://${host}/`)).toBe(true);
  const rawPath = url.slice(`${scheme}://${host}`.length, url.indexOf('?'));
  expect(decodeURIComponent(rawPath)).toBe('/' + want.key);
  expect(new URL(url).host).toBe(host);
  const q = query(url);
  const fields = Object.fromEntries(q.slice(0, 7));
  expect(q.slice(0, 7).map((p) => p[0])).toEqual(Q_FIELDS);
  const signedQuery: Record<string, string> = {
    ...want.params,
    ...(want.token && { 'x-cos-security-token': want.token }),
  };
  expect(Object.fromEntries(q.slice(7))).toEqual(signedQuery);
  expect(fields['q-ak']).toBe(ID);
  checkWindow(fields['q-key-time'], want.expires ?? 300, t0, t1);
  const signedHeaders = { ...want.headers, ...(want.signHost !== false && { host: host.replace(/:\d+$/, '') }) };
  const expected = sdkAuth({
    method: want.method,
    key: want.key,
    keyTime: fields['q-key-time'],
    query: signedQuery,
    headers: signedHeaders,
  });
  expect(Q_FIELDS.map((n) => `${n}=${fields[n]}`).join('&')).toBe(expected);
};

const ok = (r: Run) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
};

/**
 * A usage error: exit 2, nothing on stdout, the reason on stderr in a first line that ends with its
 * code: the one `reason` names (a library refusal, ERR_INVALID_*), else ERR_USAGE.
 */
const usage = (r: Run, reason: RegExp) => {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(reason);
  const code = /ERR_[A-Z_]+/.exec(reason.source)?.[0] ?? 'ERR_USAGE';
  expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^cos-sign: \\S.* \\(${code}\\)$`));
  expect(r.code).toBe(2);
};

const timed = async (args: string[], env?: Record<string, string | undefined>) => {
  const t0 = Date.now();
  const r = await cli(args, env);
  return { ...r, t0, t1: Date.now() };
};

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error('dist/cos-sign.mjs is missing: run `npm run build` first (npm test does)');
});

describe.concurrent('cos-sign url', () => {
  it('prints one presigned GET URL that the official SDK agrees with', async () => {
    const r = ok(await timed(['url', `cos://${BUCKET}/photos/a.png`]));
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    checkUrl(r.stdout.trim(), { method: 'get', key: 'photos/a.png' }, r.t0, r.t1);
  });

  it('signs a PUT with params and headers, takes the key literally, --region over COS_REGION', async () => {
    const key = '照片/a b+c%20&d=e?.png';
    const r = ok(
      await timed(
        [
          'url',
          `cos://${BUCKET}/${key}`,
          '--method',
          'put',
          '--expires',
          '600',
          '--region',
          'ap-guangzhou',
          '--param',
          'x-cos-traffic-limit=819200',
          '--param',
          'uploads',
          '--header',
          'Content-Type: image/png',
          '--header',
          'x-cos-meta-a:  b c ',
        ],
        { COS_REGION: 'ap-beijing' },
      ),
    );
    checkUrl(
      r.stdout.trim(),
      {
        method: 'put',
        key,
        params: { 'x-cos-traffic-limit': '819200', uploads: '' },
        headers: { 'content-type': 'image/png', 'x-cos-meta-a': 'b c' },
        expires: 600,
      },
      r.t0,
      r.t1,
    );
    const fields = Object.fromEntries(query(r.stdout.trim()));
    expect(fields['q-header-list']).toBe('content-type;host;x-cos-meta-a');
    expect(fields['q-url-param-list']).toBe('uploads;x-cos-traffic-limit');
  });

  it('with COS_SECURITY_TOKEN: the token travels in the URL, signed', async () => {
    const r = ok(await timed(['url', `cos://${BUCKET}/a.txt`], { COS_SECURITY_TOKEN: TOKEN }));
    checkUrl(r.stdout.trim(), { method: 'get', key: 'a.txt', token: TOKEN }, r.t0, r.t1);
    expect(Object.fromEntries(query(r.stdout.trim()))['q-url-param-list']).toBe('x-cos-security-token');
  });

  it('--json: url, method, headers to send and when it expires', async () => {
    const r = ok(
      await timed([
        'url',
        `cos://${BUCKET}/a.png`,
        '--method',
        'PUT',
        '--header',
        'Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==',
        '--json',
      ]),
    );
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['url', 'method', 'headers', 'expiresAt']);
    expect(j.method).toBe('PUT');
    expect(j.headers).toEqual({ 'Content-MD5': '1B2M2Y8AsgTpgAmY7PhCfg==' });
    checkUrl(
      j.url,
      { method: 'put', key: 'a.png', headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' } },
      r.t0,
      r.t1,
    );
    const end = Number(Object.fromEntries(query(j.url))['q-key-time'].split(';')[1]);
    expect(j.expiresAt).toBe(new Date(end * 1000).toISOString());
  });

  it('--no-sign-host leaves the host out; --endpoint and --domain pick the host; --scheme http', async () => {
    const [a, b, c] = await Promise.all([
      timed(['url', `cos://${BUCKET}/k`, '--no-sign-host']),
      timed(['url', `cos://${BUCKET}/k`, '--endpoint', 'cos.accelerate.myqcloud.com'], { COS_REGION: undefined }),
      timed(['url', 'cos:///dir/k', '--domain', '127.0.0.1:8788', '--scheme', 'http'], { COS_REGION: undefined }),
    ]);
    checkUrl(ok(a).stdout.trim(), { method: 'get', key: 'k', signHost: false }, a.t0, a.t1);
    expect(Object.fromEntries(query(a.stdout.trim()))['q-header-list']).toBe('');
    checkUrl(
      ok(b).stdout.trim(),
      { method: 'get', key: 'k', host: `${BUCKET}.cos.accelerate.myqcloud.com` },
      b.t0,
      b.t1,
    );
    checkUrl(ok(c).stdout.trim(), { method: 'get', key: 'dir/k', host: '127.0.0.1:8788', scheme: 'http' }, c.t0, c.t1);
  });

  it('cos://<bucket>/ signs the bucket itself (key "/")', async () => {
    const r = ok(await timed(['url', `cos://${BUCKET}/`, '--param', 'prefix=photos/']));
    const url = r.stdout.trim();
    expect(url.startsWith(`https://${HOST}/?`)).toBe(true);
    const fields = Object.fromEntries(query(url));
    expect(fields.prefix).toBe('photos/');
    const expected = sdkAuth({
      method: 'get',
      key: '/',
      keyTime: fields['q-key-time'],
      query: { prefix: 'photos/' },
      headers: { host: HOST },
    });
    expect(Q_FIELDS.map((n) => `${n}=${fields[n]}`).join('&')).toBe(expected);
  });
});

describe.concurrent('cos-sign auth', () => {
  it('prints the headers to send; the Authorization agrees with the official SDK', async () => {
    const r = ok(
      await timed([
        'auth',
        `cos://${BUCKET}/a.png`,
        '--method',
        'PUT',
        '--header',
        'Content-Type: image/png',
        '--header',
        'User-Agent: x',
      ]),
    );
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['Content-Type', 'User-Agent', 'Authorization']);
    const auth = lines[2].slice('Authorization: '.length);
    const f = authFields(auth);
    checkWindow(f['q-key-time'], 300, r.t0, r.t1);
    // User-Agent is sent but not signed (docs/signing.md step 4); the SDK drops it the same way.
    expect(auth).toBe(
      sdkAuth({
        method: 'put',
        key: 'a.png',
        keyTime: f['q-key-time'],
        headers: { 'content-type': 'image/png', 'user-agent': 'x', host: HOST },
      }),
    );
    expect(f['q-header-list']).toBe('content-type;host');
  });

  it('with COS_SECURITY_TOKEN: sends and signs x-cos-security-token as a header; --json', async () => {
    const r = ok(
      await timed(['auth', `cos://${BUCKET}/dir/a b.txt`, '--method', 'delete', '--param', 'versionId=v1', '--json'], {
        COS_SECURITY_TOKEN: TOKEN,
      }),
    );
    const j = JSON.parse(r.stdout);
    expect(j.method).toBe('DELETE');
    expect(j.url).toBe(`https://${HOST}/dir/a%20b.txt?versionId=v1`);
    expect(Object.keys(j.headers)).toEqual(['Authorization', 'x-cos-security-token']);
    expect(j.headers['x-cos-security-token']).toBe(TOKEN);
    const f = authFields(j.headers.Authorization);
    expect(f['q-header-list']).toBe('host;x-cos-security-token');
    expect(f['q-url-param-list']).toBe('versionid');
    expect(j.headers.Authorization).toBe(
      sdkAuth({
        method: 'delete',
        key: 'dir/a b.txt',
        keyTime: f['q-key-time'],
        query: { versionId: 'v1' },
        headers: { host: HOST, 'x-cos-security-token': TOKEN },
      }),
    );
  });

  it('a signature from another key does not verify (the check can fail)', async () => {
    const r = ok(await timed(['auth', `cos://${BUCKET}/a`]));
    const auth = r.stdout.trim().slice('Authorization: '.length);
    const f = authFields(auth);
    expect(auth).not.toBe(
      sdkAuth({ method: 'get', key: 'a', keyTime: f['q-key-time'], headers: { host: HOST }, secretKey: KEY + 'x' }),
    );
    expect(auth).not.toBe(sdkAuth({ method: 'get', key: 'b', keyTime: f['q-key-time'], headers: { host: HOST } }));
    expect(auth).toBe(sdkAuth({ method: 'get', key: 'a', keyTime: f['q-key-time'], headers: { host: HOST } }));
  });
});

describe.concurrent('cos-sign policy', () => {
  /** Checks a POST Object form independently: SignKey, policy hash, signature, conditions. */
  const checkForm = (
    form: { url: string; fields: Record<string, string> },
    prefix: string,
    expires: number,
    t0: number,
    t1: number,
    token?: string,
  ) => {
    expect(form.url).toBe(`https://${HOST}/`);
    const f = form.fields;
    expect(f['q-sign-algorithm']).toBe('sha1');
    expect(f['q-ak']).toBe(ID);
    checkWindow(f['q-key-time'], expires, t0, t1);
    const text = Buffer.from(f.policy, 'base64').toString('utf8');
    const signKey = createHmac('sha1', KEY).update(f['q-key-time']).digest('hex');
    expect(f['q-signature']).toBe(
      createHmac('sha1', signKey).update(createHash('sha1').update(text).digest('hex')).digest('hex'),
    );
    const policy = JSON.parse(text);
    const end = Number(f['q-key-time'].split(';')[1]);
    expect(Math.abs(Date.parse(policy.expiration) / 1000 - end)).toBeLessThanOrEqual(1);
    const conds = JSON.stringify(policy.conditions);
    expect(policy.conditions).toContainEqual({ 'q-sign-algorithm': 'sha1' });
    expect(policy.conditions).toContainEqual({ 'q-ak': ID });
    expect(policy.conditions).toContainEqual({ 'q-sign-time': f['q-key-time'] });
    expect(conds).toContain(JSON.stringify(BUCKET));
    expect(policy.conditions).toContainEqual(['starts-with', '$key', prefix]);
    if (token) expect(f['x-cos-security-token']).toBe(token);
    else expect(f).not.toHaveProperty('x-cos-security-token');
    return policy;
  };

  it('--json: a form whose signature and conditions check out (node:crypto)', async () => {
    const r = ok(
      await timed([
        'policy',
        `cos://${BUCKET}/uploads/`,
        '--expires',
        '900',
        '--content-length-range',
        '1,10485760',
        '--json',
      ]),
    );
    const form = JSON.parse(r.stdout);
    expect(Object.keys(form)).toEqual(['url', 'fields']);
    const policy = checkForm(form, 'uploads/', 900, r.t0, r.t1);
    expect(policy.conditions).toContainEqual(['content-length-range', 1, 10485760]);
  });

  it('plain output: the URL, then name=value per field; temporary credentials add the token', async () => {
    const r = ok(
      await timed(['policy', `cos://${BUCKET}/u/`, '--content-type', 'image/png', '--success-action-status', '201'], {
        COS_SECURITY_TOKEN: TOKEN,
      }),
    );
    const [url, ...rest] = r.stdout.trimEnd().split('\n');
    const fields = Object.fromEntries(rest.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: COS's own placeholder in a POST Object key.
    expect(fields.key).toBe('u/${filename}');
    expect(fields['Content-Type']).toBe('image/png');
    expect(fields.success_action_status).toBe('201');
    const policy = checkForm({ url, fields }, 'u/', 300, r.t0, r.t1, TOKEN);
    expect(policy.conditions).toContainEqual({ 'Content-Type': 'image/png' });
    expect(policy.conditions).toContainEqual({ success_action_status: '201' });
    expect(policy.conditions).toContainEqual({ 'x-cos-security-token': TOKEN });
  });

  it('refuses a malformed --content-length-range (exit 2)', async () => {
    for (const bad of ['10', '5,1', 'a,b', '-1,5'])
      usage(await cli(['policy', `cos://${BUCKET}/u/`, '--content-length-range', bad]), /content-length-range/);
  });
});

describe.concurrent('usage errors exit 2 and say what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [[], /missing command/],
    [['sign', `cos://${BUCKET}/a`], /unknown command "sign"/],
    [['url'], /missing cos:\/\/<bucket>\/<key>/],
    [['url', `${BUCKET}/a`], /expected cos:\/\/<bucket>\/<key>/],
    [['url', 'cos:///a'], /names no bucket/],
    [['url', `cos://${BUCKET}/a`, 'extra'], /unexpected argument "extra"/],
    [['url', `cos://${BUCKET}/a`, '--bogus'], /Unknown option '--bogus'/],
    [['url', `cos://${BUCKET}/a`, '--expires'], /--expires/],
    [['url', `cos://${BUCKET}/a`, '--expires', '0'], /--expires must be a positive integer, received "0"/],
    [['url', `cos://${BUCKET}/a`, '--expires', '1.5'], /--expires must be a positive integer/],
    [['url', `cos://${BUCKET}/a`, '--header', 'Content-Type image/png'], /--header must look like "Name: value"/],
    [['url', `cos://${BUCKET}/a`, '--param', '=v'], /--param must look like name=value/],
    [['url', `cos://${BUCKET}/a`, '--param', 'a=1', '--param', 'a=2'], /--param "a" is given twice/],
    [['url', `cos://${BUCKET}/a`, '--scheme', 'ftp'], /--scheme must be https or http/],
    [
      ['url', `cos://${BUCKET}/a`, '--endpoint', 'x.com', '--domain', 'y.com'],
      /at most one of --endpoint and --domain/,
    ],
    [
      ['url', `cos://${BUCKET}/a`, '--method', 'OPTIONS'],
      /method must be GET, PUT, POST, DELETE or HEAD.*\(ERR_INVALID_METHOD\)/,
    ],
    [['url', 'cos://Bad_Bucket/a'], /bucket .*\(ERR_INVALID_BUCKET\)/],
    [['auth', `cos://${BUCKET}/a`, '--header', 'X-Cos-Meta-A: 1\r\nX-Cos-Acl: public-read'], /\(ERR_INVALID_HEADER\)/],
    [['policy', `cos://${BUCKET}/u/`, '--method', 'PUT'], /Unknown option '--method'/],
    [
      ['policy', `cos://${BUCKET}/u/`, '--success-action-status', '302'],
      /--success-action-status must be 200, 201 or 204/,
    ],
  ];
  for (const [args, reason] of cases)
    it(`cos-sign ${args.join(' ')}`.trim(), async () => {
      const r = await cli(args);
      usage(r, reason);
      if (!/ERR_/.test(reason.source)) expect(r.stderr).toMatch(/Run "cos-sign( \w+)? --help" for usage/);
    });
});

describe.concurrent('every error is one line that ends with its code', () => {
  // The whole of stderr: the error line, then (usage errors only) where to find the usage.
  const cases: [string, string[], Record<string, string | undefined>, RegExp, number][] = [
    [
      'missing variables',
      ['url', `cos://${BUCKET}/a`],
      { COS_SECRET_ID: undefined },
      /^cos-sign: COS_SECRET_ID is not set \(.*\) \(ERR_USAGE\)\nRun "cos-sign url --help" for usage\.\n$/,
      2,
    ],
    [
      'unknown command',
      ['sign', `cos://${BUCKET}/a`],
      {},
      /^cos-sign: unknown command "sign": expected url, auth, policy or serve \(ERR_USAGE\)\nRun "cos-sign --help" for usage\.\n$/,
      2,
    ],
    [
      'no command',
      [],
      {},
      /^cos-sign: missing command: url, auth, policy or serve \(ERR_USAGE\)\nRun "cos-sign --help" for usage\.\n$/,
      2,
    ],
    [
      'unknown option',
      ['auth', `cos://${BUCKET}/a`, '--bogus'],
      {},
      /^cos-sign: Unknown option '--bogus' \(ERR_USAGE\)\nRun "cos-sign auth --help" for usage\.\n$/,
      2,
    ],
    [
      'a multi-line message of node:util parseArgs, joined',
      ['policy', `cos://${BUCKET}/u/`, '--content-length-range', '-1,5'],
      {},
      /^cos-sign: Option '--content-length-range' argument is ambiguous\. Did you forget [^\n]* \(ERR_USAGE\)\nRun "cos-sign policy --help" for usage\.\n$/,
      2,
    ],
    [
      'no region',
      ['policy', `cos://${BUCKET}/u/`],
      { COS_REGION: undefined },
      /^cos-sign: no region: set COS_REGION or pass --region \(or --endpoint \/ --domain\) \(ERR_USAGE\)\nRun "cos-sign policy --help" for usage\.\n$/,
      2,
    ],
    [
      'an argument the library refuses',
      ['url', 'cos://Bad_Bucket/a'],
      {},
      /^cos-sign: [^\n]*bucket[^\n]* \(ERR_INVALID_BUCKET\)\n$/,
      2,
    ],
    [
      'credentials the library refuses',
      ['auth', `cos://${BUCKET}/a`],
      { COS_SECRET_ID: 'AKID&x' },
      /^cos-sign: [^\n]*secretId[^\n]* \(ERR_CREDENTIALS_INVALID\)\n$/,
      1,
    ],
  ];
  for (const [what, args, env, stderr, code] of cases)
    it(`${what}: exit ${code}`, async () => {
      const r = await cli(args, env);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(stderr);
      expect(r.code).toBe(code);
    });
});

describe.concurrent('missing credentials name the variable', () => {
  for (const cmd of ['url', 'auth', 'policy'])
    it(`${cmd}: COS_SECRET_KEY`, async () =>
      usage(await cli([cmd, `cos://${BUCKET}/a`], { COS_SECRET_KEY: undefined }), /COS_SECRET_KEY is not set/));
  it('COS_SECRET_ID, also when empty', async () =>
    usage(await cli(['url', `cos://${BUCKET}/a`], { COS_SECRET_ID: '' }), /COS_SECRET_ID is not set/));
  it('both', async () =>
    usage(
      await cli(['url', `cos://${BUCKET}/a`], { COS_SECRET_ID: undefined, COS_SECRET_KEY: undefined }),
      /COS_SECRET_ID and COS_SECRET_KEY are not set/,
    ));
  it('the region', async () =>
    usage(await cli(['url', `cos://${BUCKET}/a`], { COS_REGION: undefined }), /COS_REGION.*--region/));
  it('a SecretKey the library refuses: exit 1, the code, and not the key', async () => {
    const bad = '  padded-secret-key  ';
    const r = await cli(['url', `cos://${BUCKET}/a`], { COS_SECRET_KEY: bad });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^cos-sign: .*secretKey.*\(ERR_CREDENTIALS_INVALID\)\n$/);
    expect(r.stderr).not.toContain('padded-secret-key');
  });
});

describe.concurrent('--help', () => {
  for (const cmd of ['url', 'auth', 'policy'])
    it(`${cmd} --help works without credentials and lists its options`, async () => {
      const r = ok(
        await cli([cmd, '--help'], { COS_SECRET_ID: undefined, COS_SECRET_KEY: undefined, COS_REGION: undefined }),
      );
      expect(r.stdout).toMatch(new RegExp(`^Usage: cos-sign ${cmd} cos://<bucket>/`));
      for (const opt of cmd === 'policy'
        ? ['--expires', '--content-length-range', '--region', '--json']
        : [
            '--method',
            '--expires',
            '--param',
            '--header',
            '--no-sign-host',
            '--region',
            '--endpoint',
            '--domain',
            '--json',
          ])
        expect(r.stdout).toContain(opt);
      expect(r.stdout).toContain('COS_SECRET_KEY');
      expect((await cli([cmd, '-h'])).stdout).toBe(r.stdout);
    });
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(ok(await cli(['--version'], { COS_SECRET_KEY: undefined })).stdout).toBe(version + '\n');
  });
  it('cos-sign --help lists the commands', async () => {
    const r = ok(await cli(['--help'], { COS_SECRET_KEY: undefined }));
    expect(r.stdout).toMatch(/^Usage: cos-sign <command>/);
    for (const c of ['url', 'auth', 'policy']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });
});

/** One HTTP request with node:http (under happy-dom the global fetch is not Node's). */
const send = (url: string, method: string, headers: Record<string, string> = {}, body?: Buffer | string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });

/** A multipart/form-data body: the fields in order, then the file. */
const multipart = (fields: Record<string, string>, file: Buffer, filename: string) => {
  const boundary = '----cos-sign-cli-test-' + Date.now().toString(36);
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  const head =
    parts.join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
};

// End to end: what the command prints works against the demo's COS-compatible server, which verifies
// signatures, windows, keys and tokens with its own code (demo/server/cos-auth.mjs, not src/).
describe('against a COS-compatible server (demo/server)', () => {
  const STS_ID = 'AKIDcliTestTemporary0123456789';
  const STS_KEY = 'cliTestTemporaryKey0123456789';
  let cos: {
    addKey(id: string, key: string, o?: { token?: string; expiresAt?: number }): void;
    listen(): Promise<string>;
    close(): Promise<void>;
    readObject(k: string): Promise<{ data: Buffer; headers: Record<string, string> } | undefined>;
  };
  let domain = '';
  let base = '';
  beforeAll(async () => {
    const { createCosServer } = await import(join(ROOT, 'demo', 'server', 'cos-server.mjs'));
    cos = await createCosServer({ bucket: BUCKET });
    cos.addKey(ID, KEY);
    cos.addKey(STS_ID, STS_KEY, { token: TOKEN, expiresAt: Date.now() + 3_600_000 });
    base = await cos.listen();
    domain = new URL(base).host;
  });
  afterAll(() => cos?.close());

  const at = () => ['--domain', domain, '--scheme', 'http'];

  it('url: PUT then GET a key with spaces and Unicode; a tampered URL is refused', async () => {
    const key = 'cli/照片 a+b.txt';
    const put = ok(
      await cli(['url', `cos://${BUCKET}/${key}`, '--method', 'PUT', '--header', 'Content-Type: text/plain', ...at()]),
    );
    expect(
      (await send(put.stdout.trim(), 'PUT', { 'Content-Type': 'text/plain' }, 'hello from the shell')).status,
    ).toBe(200);
    expect((await cos.readObject(key))?.data.toString()).toBe('hello from the shell');
    const get = ok(await cli(['url', `cos://${BUCKET}/${key}`, ...at()]));
    const r = await send(get.stdout.trim(), 'GET');
    expect(r).toEqual({ status: 200, body: 'hello from the shell' });
    const tampered = await send(get.stdout.trim().replace('%E7%85%A7', '%E7%85%A8'), 'GET');
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain('SignatureDoesNotMatch');
    // The Content-Type was signed: a PUT with another one is refused.
    const other = await send(put.stdout.trim(), 'PUT', { 'Content-Type': 'text/html' }, '<script>');
    expect(other.status).toBe(403);
  });

  it('auth with temporary credentials: the printed headers are all a request needs', async () => {
    const env = { COS_SECRET_ID: STS_ID, COS_SECRET_KEY: STS_KEY, COS_SECURITY_TOKEN: TOKEN };
    const put = ok(
      await cli(
        [
          'auth',
          `cos://${BUCKET}/cli/t.txt`,
          '--method',
          'PUT',
          '--header',
          'Content-Type: text/plain',
          '--json',
          ...at(),
        ],
        env,
      ),
    );
    const j = JSON.parse(put.stdout);
    expect(j.url).toBe(`http://${domain}/cli/t.txt`);
    expect((await send(j.url, 'PUT', j.headers, 'temporary')).status).toBe(200);
    const head = ok(await cli(['auth', `cos://${BUCKET}/cli/t.txt`, '--method', 'HEAD', ...at()], env));
    const headers = Object.fromEntries(
      head.stdout
        .trimEnd()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
    );
    expect((await send(`${base}/cli/t.txt`, 'HEAD', headers)).status).toBe(200);
    const { 'x-cos-security-token': _, ...withoutToken } = headers;
    expect((await send(`${base}/cli/t.txt`, 'HEAD', withoutToken)).status).toBe(403);
    const url = ok(await cli(['url', `cos://${BUCKET}/cli/t.txt`, ...at()], env));
    expect(await send(url.stdout.trim(), 'GET')).toEqual({ status: 200, body: 'temporary' });
  });

  it('policy: a form upload within the size range is stored, one outside it is refused', async () => {
    const r = ok(
      await cli(['policy', `cos://${BUCKET}/cli/form/`, '--content-length-range', '1,16', '--json', ...at()]),
    );
    const { url, fields } = JSON.parse(r.stdout);
    expect(url).toBe(`http://${domain}/`);
    const small = multipart(fields, Buffer.from('small file'), 'ok.txt');
    expect((await send(url, 'POST', { 'Content-Type': small.type }, small.body)).status).toBe(204);
    expect((await cos.readObject('cli/form/ok.txt'))?.data.toString()).toBe('small file');
    const big = multipart(fields, Buffer.alloc(17, 'x'), 'big.txt');
    const refused = await send(url, 'POST', { 'Content-Type': big.type }, big.body);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('EntityTooLarge');
    expect(await cos.readObject('cli/form/big.txt')).toBeUndefined();
  });
});
