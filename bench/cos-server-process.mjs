// cos-sign/server in a process of its own for bench/server.mjs, so that its RSS is its own. Started with
// fork(); argv: dataDir ('' for memory), secretId, secretKey. Samples its RSS every 10 ms. Over IPC:
//   → { ready: url, bucket }         once listening
//   ← { rss: 'reset' } → { rss: { base } }  the current RSS becomes the base, the peak is reset
//   ← { rss: 'peak' }  → { rss: { base, peak } }
//   ← { stop: true }                  closes the server and exits
import { startCosServer } from '../server/index.mjs';

const [dataDir, secretId, secretKey] = process.argv.slice(2);
const cos = await startCosServer({ ...(dataDir && { dataDir }), credentials: [{ secretId, secretKey }] });
let base = process.memoryUsage.rss();
let peak = base;
setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 10).unref();
process.on('message', async (m) => {
  if (m.stop) {
    await cos.close();
    process.exit(0);
  }
  if (m.rss === 'reset') {
    globalThis.gc?.();
    base = peak = process.memoryUsage.rss();
    process.send({ rss: { base } });
  }
  if (m.rss === 'peak') process.send({ rss: { base, peak: Math.max(peak, process.memoryUsage.rss()) } });
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: cos.url, bucket: cos.bucket });
