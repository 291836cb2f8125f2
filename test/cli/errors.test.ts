import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lines, runCli } from './run-cli';
import { startTestServer } from './server-fixture';
import type { DevServer } from '../../workers/dev-server';

/** Every failure is one line on stderr naming the problem, with the documented exit code. */
function expectOneLineError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.stringMatching(pattern) });
  expect(lines(r.stderr)).toHaveLength(1);
}


const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-spec-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe('prefloop usage errors (no server needed)', () => {
  it('--help succeeds and documents the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 +Temporal server unreachable/);
    for (const cmd of ['demo', 'run', 'worker', 'server', 'status', 'list', 'history', 'pause', 'resume', 'stop', 'set', 'fork', 'report', 'schedule']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
  });

  it('wrong arguments give exit code 2 and one line', async () => {
    expectOneLineError(await runCli(['lst']), 2, /unknown command 'lst'.*Did you mean list/);
    expectOneLineError(await runCli(['status']), 2, /missing required argument 'campaign'/);
    expectOneLineError(await runCli(['list', '--bogus']), 2, /unknown option '--bogus'/);
    expectOneLineError(await runCli(['fork', 'c1']), 2, /--from-iteration/);
  });

  it('a missing spec file is not found (3); an invalid --set names the field (2)', async () => {
    expectOneLineError(await runCli(['run', 'no-such-spec.yaml']), 3, /spec file no-such-spec.yaml does not exist/);
    const spec = path.join(tempDir(), 'spec.yaml');
    fs.writeFileSync(spec, 'name: tiny\niterations: 1\n');
    expectOneLineError(await runCli(['run', spec, '--set', 'update.beta=-1']), 2, /update\.beta: .*-1/);
    expectOneLineError(await runCli(['run', spec, '--set', 'sampling.n']), 2, /"sampling\.n" is not of the form path=value/);
    expectOneLineError(await runCli(['run', spec, '--set', 'algorithm=dpo3']), 2, /algorithm: .*online-iterative-dpo/);
  });

  it('refused before anything starts (exit 2): an id that is not a campaign id, a YAML alias bomb naming its file, a cron that is not one', async () => {
    const spec = path.join(tempDir(), 'spec.yaml');
    fs.writeFileSync(spec, 'name: tiny\niterations: 1\n');
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    for (const id of ['../../x', '..', '/abs', 'a/b']) {
      expectOneLineError(await runCli(['run', spec, '--id', id], env), 2, new RegExp(`invalid campaign id .*--id: ${JSON.stringify(id).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} must be 1-63 chars of a-z`));
    }
    const bomb = path.join(tempDir(), 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, next] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]) levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    fs.writeFileSync(bomb, `${levels.join('\n')}\n`);
    expectOneLineError(await runCli(['run', bomb], env), 2, new RegExp(`invalid campaign spec ${bomb.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .*Excessive alias count`));
    expectOneLineError(await runCli(['schedule', 'create', 'nightly', spec, '--cron', 'every day'], env), 2,
      /--cron "every day" is not a cron expression: .* e\.g\. --cron "0 2 \* \* \*"/);
  });

  it('an unreachable server gives exit code 4 naming the address', async () => {
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    expectOneLineError(await runCli(['list'], env), 4, /cannot reach the Temporal server at 127\.0\.0\.1:1/);
    expectOneLineError(await runCli(['status', 'c1'], env), 4, /127\.0\.0\.1:1/);
  });
});

describe('prefloop against a real dev server', () => {
  let server: DevServer;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    ({ server, env, dir } = await startTestServer());
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('list works on an empty namespace (text and --json)', async () => {
    const text = await runCli(['list'], env);
    expect(text).toMatchObject({ code: 0, stdout: 'no campaigns\n' });
    const json = await runCli(['list', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('an unknown campaign gives exit code 3 naming it, for every campaign command', async () => {
    const commands = [['status'], ['pause'], ['resume'], ['stop'], ['history'], ['set', '?', 'update.beta=0.2'], ['fork', '?', '--from-iteration', '1'], ['report', '?']];
    for (const cmd of commands) {
      const args = cmd.includes('?') ? cmd.map((a) => (a === '?' ? 'no-such-campaign' : a)) : [...cmd, 'no-such-campaign'];
      expectOneLineError(await runCli(args, env), 3, /unknown campaign "no-such-campaign"/);
    }
  });

  it('schedule create, list and delete a nightly campaign with overlap skip', async () => {
    const spec = path.join(tempDir(), 'nightly.json');
    fs.writeFileSync(spec, JSON.stringify({ name: 'nightly', iterations: 1 }));
    const created = await runCli(['schedule', 'create', 'nightly', spec, '--cron', '0 2 * * *', '--paused', '--json'], env);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ scheduleId: 'nightly', cron: '0 2 * * *', overlap: 'skip' });

    // Schedule listing is eventually consistent: poll briefly.
    let listed: Array<{ scheduleId: string; paused: boolean; workflowType: string }> = [];
    for (let i = 0; i < 20 && !listed.some((s) => s.scheduleId === 'nightly'); i++) {
      listed = JSON.parse((await runCli(['schedule', 'list', '--json'], env)).stdout);
      if (!listed.some((s) => s.scheduleId === 'nightly')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toContainEqual(expect.objectContaining({ scheduleId: 'nightly', paused: true, workflowType: 'preferenceCampaign' }));

    expectOneLineError(await runCli(['schedule', 'create', 'x', spec], env), 2, /exactly one of --cron/);
    expect((await runCli(['schedule', 'delete', 'nightly'], env)).code).toBe(0);
    expectOneLineError(await runCli(['schedule', 'delete', 'nightly'], env), 3, /unknown schedule "nightly"/);
  });
});
