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

/** Runs a fixture to its end; its stderr must be empty and its exit code 0; returns its last stdout line as JSON. */
export async function fixtureResult(fixture: string, args: string[], nodeArgs: string[] = []): Promise<Record<string, any>> {
  const child = spawnFixture(fixture, args, nodeArgs);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (stderr !== '' || code !== 0) throw new Error(`fixture ${fixture} exited with ${code}: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
