/**
 * A real S3-compatible server for tests: versitygw (Versity S3 Gateway, Apache-2.0, Go) serving a temp directory
 * through its posix backend, on a free loopback port, started and stopped by the test. scripts/setup-s3.sh builds it
 * from its Go module into ~/.cache/prefloop/ (PREFLOOP_S3_SERVER overrides the binary). Not a mock: the AWS SDK talks
 * HTTP to it, signed requests, multipart uploads and all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../workers/dev-server';

export const VERSITYGW_VERSION = 'v1.8.0';

export function s3ServerBinary(): string {
  const bin = process.env.PREFLOOP_S3_SERVER
    ?? path.join(os.homedir(), '.cache', 'prefloop', 's3-server', `versitygw-${VERSITYGW_VERSION}`, 'versitygw');
  if (!fs.existsSync(bin)) {
    throw new Error(`no S3 test server at ${bin}: run \`bash scripts/setup-s3.sh\` (builds versitygw ${VERSITYGW_VERSION} from its Go module), or set PREFLOOP_S3_SERVER`);
  }
  return bin;
}

export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** AWS_* variables that point the SDK (and a worker process) at this server. */
  readonly env: Record<string, string>;
  readonly client: S3Client;
  /** A fresh bucket (created on the server). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const ACCESS = 'prefloop-test';
const SECRET = 'prefloop-test-secret-key';

export async function startS3Server(bucket = 'prefloop-test'): Promise<S3TestServer> {
  const bin = s3ServerBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-s3-'));
  const data = path.join(dir, 'data');
  const meta = path.join(dir, 'meta');
  fs.mkdirSync(data);
  fs.mkdirSync(meta);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ['--access', ACCESS, '--secret', SECRET, '--port', `127.0.0.1:${port}`, '--quiet', 'posix', '--sidecar', meta, data], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const env = {
    AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: ACCESS, AWS_SECRET_ACCESS_KEY: SECRET,
    // The pinned SDK runs on Node 20; its notice that later releases will need Node 22 is not a test failure.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const client = new S3Client({
    endpoint, region: env.AWS_REGION, forcePathStyle: true, credentials: { accessKeyId: ACCESS, secretAccessKey: SECRET }, maxAttempts: 1,
  });
  const createBucket = async (name: string) => { await client.send(new CreateBucketCommand({ Bucket: name })); };
  const stop = async () => {
    client.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await createBucket(bucket);
      break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`versitygw did not start on ${endpoint}: ${(e as Error).message}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { endpoint, bucket, env, client, createBucket, stop };
}
