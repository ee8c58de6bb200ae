// The benchmark's workload, shared by Node and the browser page (no imports): one credential set,
// one clock, 10,000 different object keys as a gallery or file list has them (every tenth with
// non-ASCII characters and a space, which take the percent-encoding slow path).

export const creds = {
  secretId: 'AKIDexampleSecretId0123456789ABCDEF',
  secretKey: 'exampleSecretKey0123456789abcdefg',
};
export const bucket = 'examplebucket-1250000000';
export const region = 'ap-guangzhou';
export const host = `${bucket}.cos.${region}.myqcloud.com`;
export const now = new Date('2023-11-14T22:13:20.000Z');
export const expires = 300;
export const N = 10_000;
export const keys = (n = N) =>
  Array.from({ length: n }, (_, i) =>
    i % 10 === 9 ? `相册/2024 夏天/照片 ${i}.jpg` : `gallery/2024-11/IMG_${String(i).padStart(5, '0')}.jpg`,
  );

/** The key time every variant signs with: ours computes it from `now`, the SDKs are given it. */
export const keyTime = () => {
  const t = Math.floor(now.getTime() / 1000);
  return `${t - 60};${t + expires}`;
};

/** cos-js-sdk-v5 / cos-nodejs-sdk-v5 `getObjectUrl`'s own URL form (path encoded, `/` kept, Authorization raw). */
const camSafe = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/** A presigned URL from an official SDK: its static `COS.getAuthorization`, then the URL as `getObjectUrl` builds it. */
export const sdkPresign = (COS, key, KeyTime) =>
  `https://${host}/${camSafe(key).replace(/%2F/g, '/')}?` +
  COS.getAuthorization({
    SecretId: creds.secretId,
    SecretKey: creds.secretKey,
    Method: 'GET',
    Key: key,
    KeyTime,
    Headers: { Host: host },
  });

/** The signature of a URL or an Authorization value. */
export const qSignature = (s) => /q-signature=([0-9a-f]{40})/.exec(s)[1];
