// The local COS server for the large-upload benchmark (bench/upload.mjs), in a process of its own so
// that neither client's measured memory or CPU includes the server's. Started with fork() and
// `node bench/upload-server.mjs <dataDir>`; the parent removes dataDir. Over IPC:
//   → { ready: port, bucket }                        once listening on 127.0.0.1:<port>
//   ← { check: key, size, md5 }  → { checked: key, ok, size, md5, etag, crc64 }   the stored object, then deleted
//   ← { stop: true }                                 closes the server and exits
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createCosServer } from '../demo/server/cos-server.mjs';

const [dataDir, secretId, secretKey] = process.argv.slice(2);
const cos = await createCosServer({ dataDir, historyLimit: 100 });
const port = new URL(await cos.listen(0, '127.0.0.1')).port;
cos.addKey(secretId, secretKey);

const COS = createRequire(import.meta.url)('cos-nodejs-sdk-v5');
const remove = async (key) => {
  const host = `127.0.0.1:${port}`;
  const t = Math.floor(Date.now() / 1000);
  const Authorization = COS.getAuthorization({
    SecretId: secretId,
    SecretKey: secretKey,
    Method: 'DELETE',
    Key: key,
    Headers: { host },
    KeyTime: `${t - 60};${t + 600}`,
  });
  const res = await fetch(`http://${host}/${key.split('/').map(encodeURIComponent).join('/')}`, {
    method: 'DELETE',
    headers: { Authorization },
  });
  await res.arrayBuffer();
  if (res.status !== 204 && res.status !== 200) throw new Error(`DELETE ${key}: ${res.status}`);
};

process.on('message', async (m) => {
  if (m.stop) {
    await cos.close();
    process.exit(0);
  }
  if (m.check) {
    const o = await cos.readObject(m.check);
    const got = o && {
      size: o.data.length,
      md5: createHash('md5').update(o.data).digest('hex'),
      etag: o.etag,
      crc64: o.crc64,
    };
    // Nothing left behind for the next round: a DELETE Object, signed by the official SDK's static signer.
    if (o) await remove(m.check);
    process.send({ checked: m.check, ok: !!got && got.size === m.size && got.md5 === m.md5, ...got });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: Number(port), bucket: cos.bucket });
