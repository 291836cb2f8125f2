import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `prefloop-${prefix}-`));
}

/** Spawn a TypeScript fixture in a fresh node process (the store is exercised as it runs in a worker). */
export function spawnFixture(fixture: string, args: string[], nodeArgs: string[] = []) {
  const register = require.resolve('@swc-node/register');
  return spawn(process.execPath, [...nodeArgs, '-r', register, path.join(__dirname, 'fixtures', fixture), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWC_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.json') },
  });
}
