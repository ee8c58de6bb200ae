// A consumer of the published package, type-checked by test/package/check.mjs against the built .d.ts
// (copied there as app.ts for bundler resolution, and as esm.mts + cjs.cts for node16/nodenext, where
// the .cts file's imports resolve through the "require" condition). The @ts-expect-error lines prove
// the types are real, not `any`.
import { CosSigner, CosSignError, fromSts, fetchCredentials } from 'cos-sign';
import type {
  AuthHeaders,
  CosSignErrorCode,
  CosSignerOptions,
  CredentialProvider,
  Credentials,
  SignOptions,
} from 'cos-sign';
import { syncBackend } from 'cos-sign/sync';
import { assumeRole, cosPolicy, getFederationToken, CosSignError as StsCosSignError } from 'cos-sign/sts';
import type { CamPolicy, GetFederationTokenOptions } from 'cos-sign/sts';

const credentials: Credentials = {
  secretId: 'AKIDexample',
  secretKey: 'example',
  securityToken: 'token',
  expiration: new Date(),
};
const provider: CredentialProvider = async () =>
  fromSts({ credentials: { tmpSecretId: 'a', tmpSecretKey: 'b', sessionToken: 'c' }, expiredTime: 1 });
const options: CosSignerOptions = {
  region: 'ap-guangzhou',
  credentials: provider,
  scheme: 'https',
  signHost: true,
  clockOffset: 0,
};
const call: SignOptions = {
  method: 'PUT',
  bucket: 'examplebucket-1250000000',
  key: 'a.png',
  expires: 600,
  params: { acl: '' },
  headers: { 'Content-Type': 'image/png' },
  now: new Date(),
};

export async function main(): Promise<string[]> {
  const signer = new CosSigner(options);
  const sync = new CosSigner({ region: 'ap-guangzhou', credentials, backend: syncBackend });
  const webcrypto = new CosSigner({
    domain: 'static.example.com',
    credentials,
    crypto: { subtle: globalThis.crypto.subtle },
  });
  const fetched = new CosSigner({
    endpoint: 'cos.accelerate.myqcloud.com',
    credentials: fetchCredentials('/sts', { timeout: 5000 }),
  });
  const url: string = await signer.getPresignedUrl(call);
  const download: string = await sync.getPresignedDownloadUrl({ bucket: 'examplebucket-1250000000', key: 'a.pdf' });
  const auth: string = await webcrypto.getAuth(call);
  const headers: AuthHeaders = await fetched.getAuthHeaders(call);
  const token: string | undefined = headers['x-cos-security-token'];
  await signer.refreshCredentials();
  const policy: CamPolicy = cosPolicy({
    bucket: 'examplebucket-1250000000',
    region: 'ap-guangzhou',
    prefix: 'uploads/',
  });
  const mint: GetFederationTokenOptions = {
    secretId: 'AKIDexample',
    secretKey: 'example',
    policy,
    durationSeconds: 900,
    fetch: globalThis.fetch,
  };
  const minted: Credentials = await getFederationToken(mint);
  const expires: Date | undefined = (
    await assumeRole({ ...mint, roleArn: 'qcs::cam::uin/1:roleName/r', roleSessionName: 'web' })
  ).expiration;
  // @ts-expect-error a policy is required
  await getFederationToken({ secretId: 'AKIDexample', secretKey: 'example' });
  new CosSigner({ region: 'ap-guangzhou', credentials: minted });
  // @ts-expect-error getAuth resolves to a string
  const wrong: number = await signer.getAuth(call);
  // @ts-expect-error the download URL is always GET: no method
  await signer.getPresignedDownloadUrl({ method: 'PUT', bucket: 'b-1', key: 'k' });
  // @ts-expect-error scheme is 'https' or 'http'
  new CosSigner({ region: 'ap-guangzhou', credentials, scheme: 'ftp' });
  // @ts-expect-error credentials are required
  new CosSigner({ region: 'ap-guangzhou' });
  try {
    await signer.getAuth({ ...call, key: '' });
  } catch (e) {
    if (e instanceof StsCosSignError && e.code === 'ERR_STS') return [e.message, String(expires)];
    if (e instanceof CosSignError) {
      const code: CosSignErrorCode = e.code;
      const message: string = e.message;
      // @ts-expect-error codes are a closed set of ERR_ strings
      const other: CosSignErrorCode = 'NOT_A_CODE';
      return [code, message, String(other)];
    }
  }
  return [url, download, auth, headers.Authorization, token ?? '', String(wrong)];
}
