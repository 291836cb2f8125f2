import * as fs from 'node:fs';
import * as path from 'node:path';
import { lines, runCli } from './run-cli';
import { startTestServer } from './server-fixture';
import { startWorkerProcess } from './worker-process';
import { tinySpecYaml } from './tiny-spec';
import type { DevServer } from '../../workers/dev-server';
import { formatIterationTable } from '../../cli/iteration-table';

/**
 * Every campaign command against a real dev server, with `prefloop worker` running as a child process and
 * real (tiny) campaigns: run, list, status, history, report, fork, pause, set, resume, stop.
 */
describe('prefloop campaign commands', () => {
  let server: DevServer;
  let env: Record<string, string>;
  let dir: string;
  let worker: { stop(): Promise<void> };
  const spec = (name: string, iterations: number) => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, tinySpecYaml(name, iterations));
    return file;
  };
  const json = async (args: string[]) => {
    const r = await runCli([...args, '--json'], env, { timeoutMs: 110_000 });
    if (r.code !== 0) throw new Error(`prefloop ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  beforeAll(async () => {
    ({ server, env, dir } = await startTestServer());
    env.PREFLOOP_STORE = path.join(dir, 'store');
    worker = await startWorkerProcess(env);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('run --wait, then list, status, history and report a finished campaign', async () => {
    const ran = await json(['run', spec('alpha', 2), '--wait']);
    expect(ran.summary.iterations).toHaveLength(2);
    const summary = ran.summary;

    const listed = await waitFor('alpha in list', async () => {
      const rows = await json(['list']);
      return rows.find((r: { campaign: string; status: string }) => r.campaign === 'alpha' && r.status === 'completed');
    });
    expect(listed).toMatchObject({ algorithm: 'online-iterative-dpo', iteration: 2 });

    const status = await json(['status', 'alpha']);
    expect(status).toMatchObject({ campaign: 'alpha', workflowStatus: 'completed', summary: { bestIteration: summary.bestIteration } });
    const text = await runCli(['status', 'alpha'], env);
    expect(text.stdout).toMatch(/^campaign alpha: completed/);
    expect(text.stdout).toMatch(/rewards\/accuracies/);

    const audit = await json(['history', 'alpha']);
    expect(audit.setup).toMatchObject({ step: 'setup', attempts: 1 });
    expect(audit.iterations.map((i: { iteration: number }) => i.iteration)).toEqual([1, 2]);
    const steps = audit.iterations[0].steps.map((s: { step: string }) => s.step);
    expect(steps).toEqual(expect.arrayContaining(['sample', 'rank', 'filter', 'update', 'evaluate']));
    const update = audit.iterations[0].steps.find((s: { step: string }) => s.step === 'update');
    expect(update.writes.map((r: { sha256: string }) => r.sha256)).toContain(summary.iterations[0].artifacts.checkpoint.sha256);
    const table = await runCli(['history', 'alpha'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`update\\s.*${summary.iterations[0].artifacts.checkpoint.sha256.slice(0, 12)}`));
    // Above the steps, the evaluations as `status` shows them.
    expect(table.stdout).toContain(formatIterationTable(summary));

    const out = path.join(dir, 'alpha.html');
    const report = await json(['report', 'alpha', '--out', out]);
    expect(report).toMatchObject({ report: out, missing: [] });
    const html = fs.readFileSync(out, 'utf8');
    expect((html.match(/<svg/g) ?? []).length).toBe(7);
    expect(html).toContain(summary.finalCheckpoint.sha256);
  }, 180_000);

  it('fork from iteration 1 with a changed beta starts a new campaign from that checkpoint', async () => {
    const forked = await json(['fork', 'alpha', '--from-iteration', '1', '--set', 'update.beta=0.3', '--set', 'iterations=1']);
    expect(forked).toMatchObject({ campaign: 'alpha-fork1', from: { campaign: 'alpha', iteration: 1 }, spec: { update: { beta: 0.3 }, iterations: 1 } });
    const done = await waitFor('the fork to complete', async () => {
      const s = await json(['status', 'alpha-fork1']);
      return s.workflowStatus === 'completed' ? s : undefined;
    }, 90_000);
    expect(done.summary.iterations).toHaveLength(1);
    const audit = await json(['history', 'alpha-fork1']);
    expect(audit.fork).toMatchObject({ campaign: 'alpha', iteration: 1, checkpoint: { sha256: forked.from.checkpoint.sha256 } });
    // Reports compare campaigns: one frontier, one table per campaign.
    const both = await json(['report', 'alpha', 'alpha-fork1', '--out', path.join(dir, 'both.html')]);
    expect(fs.readFileSync(both.report, 'utf8').match(/<section class="campaign"/g)).toHaveLength(2);
  }, 180_000);

  const STEER_ITERATIONS = 40;
  it('pause, set (invalid then valid), resume and stop steer a running campaign', async () => {
    // Many iterations, so that the campaign is still running when `stop` arrives even on a loaded machine.
    const started = await json(['run', spec('steer', STEER_ITERATIONS)]);
    expect(started.campaign).toBe('steer');
    expect((await runCli(['pause', 'steer'], env)).code).toBe(0);
    const paused = await waitFor('the pause to show', async () => {
      const s = await json(['status', 'steer']);
      return s.status?.paused ? s : undefined;
    });
    expect(paused.status.completed).toBeLessThan(STEER_ITERATIONS);

    const invalid = await runCli(['set', 'steer', 'update.beta=-1'], env);
    expect(invalid.code).toBe(2);
    expect(lines(invalid.stderr)).toHaveLength(1);
    expect(invalid.stderr).toMatch(/update\.beta/);
    const frozen = await runCli(['set', 'steer', 'algorithm=rso'], env);
    expect(frozen.code).toBe(2);
    expect(frozen.stderr).toMatch(/algorithm: cannot be changed while a campaign runs/);

    const applied = await json(['set', 'steer', 'update.beta=0.25']);
    expect(applied).toMatchObject({ campaign: 'steer', patch: { update: { beta: 0.25 } } });
    expect((await runCli(['resume', 'steer'], env)).code).toBe(0);
    // Stop once the patched iteration runs, so that it is the last one and the patch is visible in it.
    await waitFor('the patched iteration to start', async () => {
      const s = await json(['status', 'steer']);
      return s.workflowStatus !== 'running' || (s.status?.iteration ?? 0) >= applied.appliesFrom ? s : undefined;
    }, 90_000);
    expect((await runCli(['stop', 'steer'], env)).code).toBe(0);

    const finished = await waitFor('the stopped campaign', async () => {
      const s = await json(['status', 'steer']);
      return s.workflowStatus === 'completed' ? s : undefined;
    }, 90_000);
    expect(finished.summary.stoppedEarly).toBe(true);
    expect(finished.summary.iterations.length).toBeLessThan(STEER_ITERATIONS);
    const betas = finished.summary.iterations.map((r: { iteration: number; hyperparameters: { update: { beta: number } } }) => [r.iteration, r.hyperparameters.update.beta]);
    expect(betas).toContainEqual([applied.appliesFrom, 0.25]);

    const late = await runCli(['pause', 'steer'], env);
    expect({ code: late.code, stderr: late.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/campaign "steer" is completed, not running/) });
  }, 180_000);

  it('run refuses a campaign id already used; worker rejects an unknown queue', async () => {
    const again = await runCli(['run', spec('alpha', 2)], env);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/campaign id "alpha" is already used/) });
    const bad = await runCli(['worker', '--queues', 'gpu'], env);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/--queues: unknown queue 'gpu'/)]);
  });
});
