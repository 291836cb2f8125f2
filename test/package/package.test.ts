/**
 * prefloop as others install it: `npm pack`, the tarball installed into an empty project with only its declared
 * dependencies (no devDependencies, no TypeScript loader), a file using every public entry point type-checked, and the
 * README's "own worker" files (extracted from README.md, not copied) compiled and run against a real dev server.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startDevServer, type DevServer } from '../../workers/dev-server';
import { readmeSnippets } from './readme-snippets';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

let dir: string;
let project: string;
let server: DevServer | undefined;
const timings: Record<string, number> = {};

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings[label] = (Date.now() - t0) / 1000;
  }
}

/** The project's own TypeScript; a failure shows the compiler's messages. */
async function tsc(args: string[]): Promise<void> {
  await run(process.execPath, [path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), ...args], { cwd: project }).catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(`tsc ${args.join(' ')} failed in ${project}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  });
}

/** The user's npm: ONNX Runtime's CUDA download skipped (no NuGet here), the cache preferred over the registry. */
const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-pkg-'));
  project = path.join(dir, 'my-worker');
  fs.mkdirSync(project);
  // `npm pack` runs the prepack hook (`npm run build`): the tarball holds what a publish would.
  const { stdout } = await timed('pack', () => run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, env: npmEnv, maxBuffer: 64 << 20 }));
  const packed = JSON.parse(stdout.slice(stdout.indexOf('[')))[0] as { filename: string; files: Array<{ path: string }> };
  const tarball = path.join(dir, packed.filename);
  fs.writeFileSync(path.join(dir, 'files.json'), JSON.stringify(packed.files.map((f) => f.path)));

  const t = pkg.dependencies;
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({
    name: 'my-worker', private: true,
    dependencies: {
      prefloop: `file:${tarball}`,
      '@temporalio/client': t['@temporalio/client'], '@temporalio/worker': t['@temporalio/worker'], '@temporalio/workflow': t['@temporalio/workflow'],
      typescript: pkg.devDependencies.typescript, '@types/node': pkg.devDependencies['@types/node'],
    },
  }, null, 2));
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, esModuleInterop: true, skipLibCheck: true, outDir: 'out', types: ['node'] },
    include: ['*.ts'],
  }, null, 2));
  for (const [file, code] of Object.entries(readmeSnippets(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')))) {
    fs.writeFileSync(path.join(project, file), code);
  }
  fs.copyFileSync(path.join(__dirname, 'fixtures', 'public-api.ts'), path.join(project, 'public-api.ts'));
  await timed('install', () => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, env: npmEnv, maxBuffer: 64 << 20 }));
  server = await startDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
}, 600_000);

afterAll(async () => {
  await server?.stop();
  // Figures for the notes (CI cost of this file); not asserted.
  process.stdout.write(`package test timings (s): ${JSON.stringify(timings)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds compiled JavaScript with declarations and source maps, and no TypeScript sources or tests', () => {
  const files = JSON.parse(fs.readFileSync(path.join(dir, 'files.json'), 'utf8')) as string[];
  for (const entry of ['index', 'workflows/index', 'activities/index', 'workers/index', 'client/index', 'schemas/index', 'store/index', 'cli/main']) {
    for (const ext of ['.js', '.d.ts', '.js.map']) expect(files).toContain(`dist/${entry}${ext}`);
  }
  expect(files).toContain('bin/prefloop.js');
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => f.startsWith('test/') || f.includes('.test.'))).toEqual([]);
});

test('only declared dependencies are installed: no TypeScript loader, no devDependency of prefloop', () => {
  const installed = path.join(project, 'node_modules');
  // (@swc/core is there: @temporalio/worker bundles workflows with it. The loader that runs .ts is not.)
  const devOnly = ['@swc-node/register', 'jest', '@swc/jest', 'eslint', 'typescript-eslint', 'playwright-core'];
  expect(devOnly.filter((dev) => fs.existsSync(path.join(installed, dev)))).toEqual([]);
  expect(fs.existsSync(path.join(installed, 'prefloop', 'dist', 'index.js'))).toBe(true);
});

test('a file using every public entry point and the README files type-check and compile (node16), and under node10 resolution', async () => {
  await timed('compile', () => tsc(['-p', '.']));
  // Projects on the older resolution (no `exports`) find the declarations through typesVersions.
  await timed('node10', () => tsc(['--noEmit', '--strict', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node10', '--types', 'node', 'public-api.ts']));
  expect(fs.existsSync(path.join(project, 'out', 'main.js'))).toBe(true);
}, 300_000);

test('a deep import outside the exports map is refused', async () => {
  const probe = `try { require('prefloop/workers/plugin'); console.log('resolved'); } catch (e) { console.log(e.code); }`;
  const { stdout } = await run(process.execPath, ['-e', probe], { cwd: project });
  expect(stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
});

test('the installed CLI runs from compiled JavaScript against the server', async () => {
  const bin = path.join(project, 'node_modules', '.bin', 'prefloop');
  const version = await run(bin, ['--version'], { cwd: project });
  expect(version.stdout.trim()).toBe(pkg.version);
  const list = await run(bin, ['list', '--json'], { cwd: project, env: { ...process.env, TEMPORAL_ADDRESS: server!.address, TEMPORAL_NAMESPACE: server!.namespace } });
  expect(JSON.parse(list.stdout)).toEqual(expect.any(Array));
}, 120_000);

test("the README's own worker runs: its workflow next to prefloop's, and a campaign that completes", async () => {
  const store = path.join(dir, 'store');
  const out = await timed('run', () => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(project, 'out', 'main.js')], {
      cwd: project, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TEMPORAL_ADDRESS: server!.address, PREFLOOP_STORE: store, NODE_OPTIONS: '' },
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { text += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text); else reject(new Error(`main.js exited ${code}:\n${text}`));
    });
  }));
  expect(out).toContain('hello, prefloop');
  expect(out).toMatch(/campaign my-first-campaign: 2 iterations, best [12]/);
  // The campaign's artifacts are in the store the worker was given, recorded in its manifest.
  const manifest = fs.readFileSync(path.join(store, 'my-first-campaign', 'manifest.jsonl'), 'utf8').trim().split('\n');
  expect(manifest.some((line) => line.includes('"iteration":2'))).toBe(true);
}, 300_000);
