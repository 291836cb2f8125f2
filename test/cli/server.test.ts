import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, REPO, cleanEnv, runCli } from './run-cli';

describe('prefloop server', () => {
  it('serves a persistent local dev server until SIGTERM; the CLI can use it', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-server-'));
    const env = { PREFLOOP_HOME: home, TEMPORAL_ADDRESS: undefined };
    const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--no-ui'], { cwd: REPO, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server not ready: ${stdout}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /export TEMPORAL_ADDRESS=(\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    try {
      expect(stdout).toContain(path.join(home, 'temporal.sqlite'));
      const listed = await runCli(['list', '--json'], { TEMPORAL_ADDRESS: address });
      expect({ code: listed.code, campaigns: JSON.parse(listed.stdout) }).toEqual({ code: 0, campaigns: [] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(fs.statSync(path.join(home, 'temporal.sqlite')).size).toBeGreaterThan(0);
    fs.rmSync(home, { recursive: true, force: true });
  }, 90_000);

  it('rejects a bad port as a usage error', async () => {
    const r = await runCli(['server', '--port', 'http']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: 'prefloop server: --port must be a port number, got http\n' });
  });
});
