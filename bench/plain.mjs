// The COS signature written directly over node:crypto (docs/signing.md, steps 1-11): the practical ceiling
// for a JavaScript signer in Node. Bench-only code, not part of the library. Like a careful hand-written
// signer it keeps the SignKey of the last key time.
import { createHash, createHmac } from 'node:crypto';

const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const list = (rec) => {
  const pairs = Object.keys(rec)
    .map((n) => [enc(n).toLowerCase(), enc(String(rec[n]))])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [pairs.map((p) => p[0]).join(';'), pairs.map((p) => p[0] + '=' + p[1]).join('&')];
};

/** A presigner for one credential set and host; `presign({ key, now, expires, params })` returns the URL. */
export const plainPresigner = ({ secretId, secretKey }, host) => {
  let lastTime = '';
  let lastKey = '';
  return ({ method = 'GET', key, now, expires = 300, params = {} }) => {
    const t = Math.floor(now.getTime() / 1000);
    const time = t - 60 + ';' + (t + expires);
    if (time !== lastTime) (lastKey = createHmac('sha1', secretKey).update(time).digest('hex')), (lastTime = time);
    const [paramList, paramString] = list(params);
    const http =
      method.toLowerCase() + '\n' + (key[0] === '/' ? key : '/' + key) + '\n' + paramString + '\nhost=' + host + '\n';
    const sts = 'sha1\n' + time + '\n' + createHash('sha1').update(http).digest('hex') + '\n';
    const sig = createHmac('sha1', lastKey).update(sts).digest('hex');
    const et = enc(time);
    let url = `https://${host}/${enc(key[0] === '/' ? key.slice(1) : key).replace(/%2F/g, '/')}?q-sign-algorithm=sha1&q-ak=${secretId}&q-sign-time=${et}&q-key-time=${et}&q-header-list=host&q-url-param-list=${enc(paramList)}&q-signature=${sig}`;
    for (const n in params) url += '&' + enc(n) + '=' + enc(String(params[n]));
    return url;
  };
};

/**
 * The same over crypto.subtle, as lean as it gets (the SignKey imported once per key time, no checks):
 * the ceiling for any signer that hashes with WebCrypto, cos-sign's default backend included.
 */
export const plainSubtlePresigner = ({ secretId, secretKey }, host) => {
  const s = globalThis.crypto.subtle;
  const te = new TextEncoder();
  const hex = (buf) => {
    let out = '';
    for (const b of new Uint8Array(buf)) out += (b < 16 ? '0' : '') + b.toString(16);
    return out;
  };
  let lastTime = '';
  let lastKey;
  return async ({ method = 'GET', key, now, expires = 300 }) => {
    const t = Math.floor(now.getTime() / 1000);
    const time = t - 60 + ';' + (t + expires);
    if (time !== lastTime) {
      lastTime = time;
      lastKey = s
        .importKey('raw', te.encode(secretKey), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
        .then((k) => s.sign('HMAC', k, te.encode(time)))
        .then((sk) => s.importKey('raw', te.encode(hex(sk)), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']));
    }
    const signKey = await lastKey;
    const http = method.toLowerCase() + '\n' + (key[0] === '/' ? key : '/' + key) + '\n\nhost=' + host + '\n';
    const hash = hex(await s.digest('SHA-1', te.encode(http)));
    const sig = hex(await s.sign('HMAC', signKey, te.encode('sha1\n' + time + '\n' + hash + '\n')));
    const et = enc(time);
    return `https://${host}/${enc(key[0] === '/' ? key.slice(1) : key).replace(/%2F/g, '/')}?q-sign-algorithm=sha1&q-ak=${secretId}&q-sign-time=${et}&q-key-time=${et}&q-header-list=host&q-url-param-list=&q-signature=${sig}`;
  };
};
