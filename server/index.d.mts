// Types of cos-sign/server (server/index.mjs, hand-written): a local COS server for apps' own tests.

/** A key pair (permanent), or temporary keys with their session token and expiry. */
export interface ServerCredentials {
  secretId: string;
  secretKey: string;
  securityToken?: string;
  expiration?: Date;
}

/** One CORS rule, in the shape of COS's PUT Bucket cors; each field a value or a list. */
export interface CorsRule {
  /** Origins, `*` standing for any run of characters (`https://*.example.com`). Default `*`. */
  AllowedOrigin?: string | string[];
  /** Methods (GET, PUT, POST, DELETE, HEAD). Default: all. */
  AllowedMethod?: string | string[];
  /** Request headers a preflight may ask for (`*` patterns). Default `*`. */
  AllowedHeader?: string | string[];
  /** Response headers a page may read. Default: ETag, x-cos-request-id, x-cos-hash-crc64ecma, Date and more. */
  ExposeHeader?: string | string[];
  /** How long a browser may cache a preflight (s). Default 600. */
  MaxAgeSeconds?: number;
}

/** What a request looks like to `inject`'s `match` function. */
export interface RequestInfo {
  method: string;
  /** The decoded key, without its leading `/` ('' for the bucket itself). */
  key: string;
  /** The decoded query parameters. */
  query: Record<string, string>;
  /** The bucket the Host named (undefined: none of the server's). */
  bucket?: string;
}

export interface InjectOptions {
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Answer this HTTP status with COS's XML error (default 500). */
  status?: number;
  /** The COS error code of that answer (default InternalError). */
  code?: string;
  /** The error's message (default: COS's for the code). */
  message?: string;
  /** Cut the connection before anything is served or stored (a network error). */
  cut?: boolean;
  /** Wait this long first; alone, the request is then served normally. */
  delayMs?: number;
  /** Which requests: a function, or fields that must all match (a string equal, a RegExp tested). */
  match?:
    | ((request: RequestInfo) => boolean)
    | {
        method?: string | RegExp;
        key?: string | RegExp;
        bucket?: string | RegExp;
        query?: Record<string, string | RegExp>;
      };
  /** Serve the request, then cut the connection instead of answering (a lost answer). */
  cutAfter?: boolean;
  /** Invert one byte of the received body (PUT Object, Upload Part). */
  flip?: boolean;
  /** The byte offset `flip` inverts. */
  flipAt?: number;
  /** Send this x-cos-hash-crc64ecma on a 2xx answer instead of the true one. */
  crc64?: string | number | bigint;
  /** Answer 200 with the `<Error>` in its body (as COS may answer a Complete). */
  errorIn200?: boolean;
}

/** An injected rule: how many requests it still applies to, and a way to drop it. */
export interface InjectedRule {
  remaining: number;
  cancel(): void;
}

export interface CosServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Keep objects on disk here (they survive a restart). Default: in memory. */
  dataDir?: string;
  /**
   * Bucket names (`BucketName-APPID`), default ['test-1250000000']. A request's bucket is its Host's first
   * label (`<bucket>.cos.<region>.myqcloud.com`, `<bucket>.localhost`); on 127.0.0.1 or localhost, the first.
   * Any other bucket: NoSuchBucket.
   */
  buckets?: string[];
  /** Permanent keys it accepts. Default: one generated pair. */
  credentials?: { secretId: string; secretKey: string }[];
  /** Seconds its clock runs ahead (negative: behind). */
  clockSkew?: number;
  /** The largest object in bytes (default 5 TiB). */
  maxObjectSize?: number;
  /** CORS rules. Default: any origin, every method and header, the usual headers exposed. */
  cors?: CorsRule[];
  /** One line per request (method, path, status; never a query string, key or token). */
  log?: (line: string) => void;
  /** The STS stand-in: its port (default: any free one) and a TLS certificate to serve https. */
  sts?: { port?: number; tls?: { cert: string | Uint8Array; key: string | Uint8Array } };
}

export interface CosServer {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  /** '127.0.0.1:PORT', for `new CosSigner({ domain, scheme: 'http' })` or an SDK's Domain. */
  readonly domain: string;
  /** Its buckets; the first is the one 127.0.0.1 reaches. */
  readonly buckets: string[];
  /** The first bucket. */
  readonly bucket: string;
  /** A permanent key pair it accepts. */
  readonly credentials: { secretId: string; secretKey: string };
  /** Where objects are kept (undefined: in memory). */
  readonly dataDir: string | undefined;
  /**
   * The STS stand-in: GetFederationToken and AssumeRole over TC3-HMAC-SHA256 (what cos-sign/sts sends) and
   * the older form API signature (HmacSHA1/HmacSHA256, what qcloud-cos-sts sends); the keys it issues work here.
   */
  readonly stsEndpoint: string;
  /** Temporary keys, as STS would give them, accepted until they expire (default ttl 1800 s). */
  issueTemporaryCredentials(options?: { ttlSeconds?: number }): Promise<Required<ServerCredentials>>;
  /** Makes the next matching requests fail or slow down on purpose. */
  inject(options?: InjectOptions): InjectedRule;
  /** The server underneath, for tests: `state.history`, `readObject(key, bucket?)`, `listUploads()`… */
  readonly server: {
    readonly state: {
      history: { method: string; key: string; query: Record<string, string>; status: number | undefined }[];
      requests: number;
      refusals: { method: string; path: string; status: number; code: string; message: string }[];
    };
    readObject(
      key: string,
      bucket?: string,
    ): Promise<{ key: string; size: number; etag: string; crc64?: string; data: Uint8Array } | undefined>;
    listKeys(bucket?: string): string[];
    listUploads(bucket?: string): { key: string; uploadId: string; parts: { partNumber: number; size: number }[] }[];
  };
  /** Stops both servers. */
  close(): Promise<void>;
}

/** Starts a local COS server (and its STS stand-in). */
export declare function startCosServer(options?: CosServerOptions): Promise<CosServer>;

/** A new key pair shaped like Tencent Cloud's. */
export declare function generateKeyPair(): { secretId: string; secretKey: string };
