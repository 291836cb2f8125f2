import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDevServer, type DevServer } from '../../workers/dev-server';

/** A real Temporal dev server (SQLite in a temp dir) for one test file. */
export async function startTestServer(): Promise<{ server: DevServer; dir: string; env: Record<string, string> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-cli-'));
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.sqlite') });
  return { server, dir, env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, PREFLOOP_HOME: path.join(dir, 'home') } };
}
