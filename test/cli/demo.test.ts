import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, REPO, cleanEnv, runCli } from './run-cli';
import { tinySetArgs } from './tiny-spec';

/** A PREFLOOP_HOME of its own, removed after the describe block, and an env with no Temporal address in it. */
function freshHome(prefix: string) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
  return { home, env: { PREFLOOP_HOME: home, TEMPORAL_ADDRESS: undefined, TEMPORAL_PROFILE: undefined } };
}

/**
 * `prefloop demo` end to end, as a new user runs it: no TEMPORAL_ADDRESS, so it starts its own dev server with
 * persistence under PREFLOOP_HOME, a worker in-process, runs the campaign, prints the table, writes the report.
 */
describe('prefloop demo', () => {
  const { home, env } = freshHome('prefloop-demo-');
  const args = ['demo', '--iterations', '1', ...tinySetArgs()];

  it('runs the campaign on its own server, prints the table and the report path; a rerun reuses it', async () => {
    const first = await runCli(args, env, { timeoutMs: 110_000 });
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/started campaign demo-[0-9a-f]{10}: online-iterative-dpo on bandit, 1 iteration/) });
    const out = first.stdout.split('\n');
    const header = out.findIndex((l) => /^iter\s+reward\s+KL\s+J\s+gap to J\*\s+rewards\/accuracies/.test(l));
    expect(header).toBeGreaterThan(-1);
    // pi0 and iteration 1, with numbers in every metric column of iteration 1.
    expect(out[header + 2]).toMatch(/^\s+0\s+-?\d+\.\d{4}\s+0\.0000\s/);
    // reward, KL, J, gap, accuracies, margins, win rate, length; no chars on the exact bandit; pairs, duration.
    expect(out[header + 3]).toMatch(/^\s+1(\s+-?\d+\.\d+){8}\s+-\s+\d+\s+\d+\.\ds\s+\*$/);
    const report = /^report: (.+\.html)$/m.exec(first.stdout)?.[1];
    expect(report && fs.readFileSync(report, 'utf8')).toMatch(/<svg[\s\S]*gap to J\*/i);
    expect(fs.existsSync(path.join(home, 'temporal.sqlite'))).toBe(true);

    const again = await runCli([...args, '--json'], env, { timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.report).toBe(report);
    expect(json.summary.iterations).toHaveLength(1);
    expect(json.outcome).toBe('reused');
    // The table printed the first time is the stored result, not a recomputation.
    expect(json.summary.iterations[0].eval.J.toFixed(4)).toBe(out[header + 3].trim().split(/\s+/)[3]);
  }, 180_000);
});

describe('prefloop demo interrupted', () => {
  const { env } = freshHome('prefloop-demo-int-');
  // Enough iterations that the campaign cannot finish between the progress line and the signal, even on a busy machine.
  const args = ['demo', '--iterations', '6', ...tinySetArgs()];

  it('Ctrl-C after the first iteration, then a rerun resumes the same campaign to the end', async () => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress line in time: ${stderr}`)), 90_000);
      child.stderr.on('data', (d) => {
        stderr += d;
        // "[k/6] ..." with k >= 1: at least one iteration is complete (polling may skip numbers on a busy machine).
        if (/^\[[1-4]\/6\]/m.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const code = await exited;
    expect({ code, stderr, stdout }).toMatchObject({ code: 1, stderr: expect.stringMatching(/interrupted; campaign demo-[0-9a-f]+ stays open/), stdout: '' });

    const resumed = await runCli([...args, '--json'], env, { timeoutMs: 110_000 });
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    const json = JSON.parse(resumed.stdout);
    expect(json.outcome).toBe('resumed');
    expect(json.summary.iterations.map((r: { iteration: number }) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stderr).toContain(json.campaign);
  }, 240_000);
});
