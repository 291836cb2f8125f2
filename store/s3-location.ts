import { StoreConfigError, StoreUnavailableError } from './errors';

/**
 * `PREFLOOP_STORE=s3://bucket/prefix`: parsing, and S3 failures turned into errors that name the bucket, the key and
 * the variable to fix. Configuration errors (no bucket, no or wrong credentials, a prefix that escapes) are
 * StoreConfigError, which no retry fixes; an endpoint that does not answer, after the SDK's own retries with backoff,
 * is StoreUnavailableError, which the activity's retry policy retries.
 */

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in '/'. */
  prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Url(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

export function parseS3Location(location: string): S3Location {
  const bad = (why: string) => new StoreConfigError(`PREFLOOP_STORE=${location} is not a usable S3 location: ${why}; write s3://<bucket>/<prefix>`);
  if (!isS3Url(location)) throw bad('it does not start with s3://');
  const rest = location.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) throw bad(`bucket "${bucket}" is not a valid bucket name (3-63 of a-z 0-9 . -)`);
  const segments = (slash < 0 ? '' : rest.slice(slash + 1)).split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === '.' || s === '..') throw bad(`the prefix may not contain "${s}" (a key could leave it)`);
    if (!/^[A-Za-z0-9._=+-]+$/.test(s)) throw bad(`prefix segment "${s}" has characters other than A-Z a-z 0-9 . _ = + -`);
  }
  return { bucket, prefix: segments.length ? `${segments.join('/')}/` : '' };
}

export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

const CREDENTIALS_FIX = 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or a role) for this endpoint';
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', 'TimeoutError', 'RequestTimeout']);

export function describeS3Error(e: unknown, store: { location: S3Location; describe(key: string): string }, objectKey: string): Error {
  if (e instanceof StoreConfigError || e instanceof StoreUnavailableError) return e;
  const err = e as Error & { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = err?.name ?? '';
  const status = err?.$metadata?.httpStatusCode;
  const where = store.describe(objectKey);
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? 'the AWS default endpoint (AWS_ENDPOINT_URL unset)';
  if (name === 'NoSuchBucket') {
    return new StoreConfigError(`S3 bucket "${store.location.bucket}" does not exist at ${endpoint} (${where}): create it, or fix the bucket in PREFLOOP_STORE`);
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(err?.message ?? '')) {
    return new StoreConfigError(`no AWS credentials to reach ${where}: ${CREDENTIALS_FIX}`);
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken'].includes(name) || status === 403) {
    return new StoreConfigError(`S3 refused ${where} (${name || `HTTP ${status}`}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket's permissions`);
  }
  // Network errors from another realm (a sandbox, a test VM) reach us wrapped by the SDK: read the code from the text.
  const code = err?.code ?? (err as { errno?: string })?.errno ?? /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE)\b/.exec(err?.message ?? '')?.[1];
  if ((code && UNAVAILABLE_CODES.has(code)) || UNAVAILABLE_CODES.has(name) || (status !== undefined && status >= 500)) {
    const attempts = (err as { $metadata?: { attempts?: number } })?.$metadata?.attempts;
    return new StoreUnavailableError(`S3 endpoint ${endpoint} is unavailable for ${where} (${code ?? name ?? status}: ${err?.message}), `
      + `after ${attempts ?? 'several'} attempts with backoff; check AWS_ENDPOINT_URL and that the server is up`);
  }
  const wrapped = new Error(`S3 request for ${where} failed: ${name ? `${name}: ` : ''}${err?.message ?? String(e)}`);
  (wrapped as { cause?: unknown }).cause = e;
  return wrapped;
}
