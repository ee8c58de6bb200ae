// Heap growth after 100,000 signatures with 1,000 distinct credential sets. Run by bench/run.mjs as
// `node --expose-gc bench/memory.mjs`; prints JSON. The clock moves 100 ms per signature, so key times
// change (and SignKey caches churn) as on a busy server. Growth = heap after the signatures minus the
// heap before them, both after full GCs; signers that a scenario keeps alive are created before.
import { bucket, now, region } from './workload.mjs';

// COS_SIGN_DIST: another build's dist/ to measure (for comparing changes); by default this checkout's.
const dist = process.env.COS_SIGN_DIST
  ? new URL(process.env.COS_SIGN_DIST.replace(/\/?$/, '/'), 'file:///')
  : new URL('../dist/', import.meta.url);
const { CosSigner } = await import(new URL('cos-sign.mjs', dist).href);
const { syncBackend } = await import(new URL('sync.mjs', dist).href);

const SETS = 1_000;
const SIGS = 100_000;
const CHUNK = 1_000;
const base = now.getTime();
const cred = (i) => ({
  secretId: `AKIDmemory${String(i).padStart(6, '0')}`,
  secretKey: `secretKeyOfSet${i}xxxxxxxxxxxxxxxx`,
});
const sign = (s, i) =>
  s.getPresignedUrl({ method: 'GET', bucket, key: `files/${i}.bin`, now: new Date(base + i * 100) });
const heap = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

const scenarios = {
  // A serverless handler: a fresh signer per user's temporary credentials, dropped after use.
  'a signer per credential set, dropped after its 100 signatures': async (backend) => {
    const before = heap();
    for (let set = 0; set < SETS; set++) {
      const s = new CosSigner({ region, credentials: cred(set), backend });
      const out = [];
      for (let j = 0; j < SIGS / SETS; j++) out.push(sign(s, set * (SIGS / SETS) + j));
      await Promise.all(out);
    }
    return heap() - before;
  },
  // A long-lived signer whose provider hands out a new credential set every 100 signatures.
  'one signer, provider rotating the 1,000 sets': async (backend) => {
    let set = 0;
    const s = new CosSigner({ region, credentials: () => cred(set), backend });
    await sign(s, 0);
    const before = heap();
    for (let i = 0; i < SIGS; i += CHUNK) {
      const out = [];
      for (let j = i; j < i + CHUNK; j++) {
        if (j % (SIGS / SETS) === 0) (set = j / (SIGS / SETS)), await s.refreshCredentials();
        out.push(sign(s, j));
      }
      await Promise.all(out);
    }
    const g = heap() - before;
    s.toString();
    return g;
  },
  // 1,000 long-lived signers, signatures round-robin: every signer's cache sees 100 key times.
  '1,000 signers kept alive, round-robin': async (backend) => {
    const signers = Array.from({ length: SETS }, (_, i) => new CosSigner({ region, credentials: cred(i), backend }));
    const before = heap();
    for (let i = 0; i < SIGS; i += CHUNK) {
      const out = [];
      for (let j = i; j < i + CHUNK; j++) out.push(sign(signers[j % SETS], j));
      await Promise.all(out);
    }
    const g = heap() - before;
    signers.length;
    return g;
  },
};

// Every scenario on the default backend; the one that keeps most keys alive on the sync backend too.
const results = [];
const names = Object.keys(scenarios);
for (const [name, bname, backend] of [
  ...names.map((n) => [n, 'SubtleCrypto', undefined]),
  [names[2], 'cos-sign/sync', syncBackend],
])
  results.push({ name: `${name} — ${bname}`, growth: await scenarios[name](backend), goal: true });
console.log(JSON.stringify({ sets: SETS, signatures: SIGS, scenarios: results }));
