/**
 * Bad input on a real Temporal dev server: an invalid spec fails the campaign at once, non-retryable, listing
 * every problem; a missing or corrupt artifact fails the step that reads it with a clear, non-retryable error,
 * and nothing already written is lost or overwritten; a spec the engine cannot run (an input error of the engine)
 * fails the campaign at setup's first attempt, naming the field and the fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, ChildWorkflowFailure, ActivityFailure } from '@temporalio/common';
import { LocalArtifactStore } from '../../store/local';
import { forkCampaign, startCampaign, startRawCampaign } from '../../client';
import { activityExecutions } from '../../client/history';
import { classify, parseEnvelope } from '../../activities/context';
import { ARTIFACT_CORRUPT, INVALID_INPUT, INVALID_SPEC, NON_RETRYABLE_ERRORS, NON_RETRYABLE_ERROR_TYPES, PROVIDER_UNAVAILABLE, RESOURCE_LIMIT } from '../../schemas/failures';
import { CheckpointFormatError } from '../../engine/checkpoint';
import { InvalidInputError } from '../../engine/errors';
import { ProviderUnavailableError } from '../../engine/runtime/sessions';
import { INVALID_SPEC as CAMPAIGN_INVALID_SPEC } from '../../workflows/campaign';
import type { CampaignSpecInput } from '../../schemas/campaign';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { tinySpec } from '../support/specs';

jest.setTimeout(180_000);

let temporal: TemporalHarness;
let store: LocalArtifactStore;

beforeAll(async () => {
  temporal = await startTemporalHarness();
  await temporal.startWorkers();
  store = new LocalArtifactStore(temporal.storeRoot);
});
afterAll(() => temporal?.teardown());

function rootCause(err: unknown): ApplicationFailure {
  let e: unknown = err;
  while (e instanceof WorkflowFailedError || e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) e = e.cause;
  expect(e).toBeInstanceOf(ApplicationFailure);
  return e as ApplicationFailure;
}

test('an invalid spec fails the campaign at once, non-retryable, listing every problem', async () => {
  const started = Date.now();
  const handle = await startRawCampaign(temporal.client, 'bad-spec', {
    algorithm: 'ppo', iterations: 0, sampling: { n: 1 }, update: { beta: 'high' }, colour: 'blue',
  });
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  const failure = rootCause(err);
  expect(failure.type).toEqual('PrefloopInvalidSpec');
  expect(failure.nonRetryable).toBe(true);
  for (const field of ['algorithm', 'iterations', 'sampling.n', 'update.beta', 'colour']) expect(failure.message).toContain(field);
  expect(failure.message).toMatch(/online-iterative-dpo/);
  expect(Date.now() - started).toBeLessThan(10_000);
  const history = await handle.fetchHistory();
  expect(activityExecutions(history)).toEqual([]);
});

test('invalid activity input is refused naming each field', () => {
  const spec = tinySpec('x');
  let message = '';
  try {
    parseEnvelope('update', { campaign: '', iteration: -1, spec: { ...spec, seed: -3 }, input: {} }, z.object({ policy: z.string() }));
  } catch (e) {
    message = (e as Error).message;
    expect(e).toBeInstanceOf(ApplicationFailure);
    expect((e as ApplicationFailure).nonRetryable).toBe(true);
  }
  for (const field of ['campaign', 'iteration', 'spec.seed', 'input.policy']) expect(message).toContain(field);
});

function fileOf(uri: string): string {
  return path.join(temporal.storeRoot, uri.replace(/^store:\/\//, ''));
}

async function everyArtifactVerifies(campaign: string, except: string[]): Promise<number> {
  const listed = await store.list(campaign);
  for (const { ref } of listed) if (!except.includes(ref.uri)) await store.get(ref);
  return listed.length;
}

test('a missing or corrupt artifact fails the step clearly, once, and loses nothing', async () => {
  const summary = await temporal.summary(await startCampaign(temporal.client, tinySpec('source')));
  const before = (await store.list('source')).length;

  // Missing: iteration 1's checkpoint is deleted; a fork from it cannot sample.
  const missing = summary.iterations[0].artifacts.checkpoint;
  fs.rmSync(fileOf(missing.uri));
  const { handle: forkMissing } = await forkCampaign(temporal.client, { campaign: 'source', iteration: 1, newCampaign: 'fork-missing' });
  const missingFailure = rootCause(await forkMissing.result().then(() => undefined, (e: unknown) => e));
  expect(missingFailure.type).toEqual('PrefloopArtifactMissing');
  expect(missingFailure.nonRetryable).toBe(true);
  expect(missingFailure.message).toContain(missing.uri);
  expect(missingFailure.message).toMatch(/missing/);

  // Corrupt: one byte of iteration 2's checkpoint flipped; a fork from it cannot read it.
  const corrupt = summary.iterations[1].artifacts.checkpoint;
  const bytes = fs.readFileSync(fileOf(corrupt.uri));
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(fileOf(corrupt.uri), bytes);
  const { handle: forkCorrupt } = await forkCampaign(temporal.client, { campaign: 'source', iteration: 2, newCampaign: 'fork-corrupt' });
  const corruptFailure = rootCause(await forkCorrupt.result().then(() => undefined, (e: unknown) => e));
  expect(corruptFailure.type).toEqual('PrefloopArtifactCorrupt');
  expect(corruptFailure.message).toContain(corrupt.uri);
  expect(corruptFailure.message).toContain(corrupt.sha256);

  // Each failed once (non-retryable: no retry storm), and nothing already written was lost or rewritten.
  for (const id of ['fork-missing/iter-1', 'fork-corrupt/iter-1']) {
    const failed = activityExecutions(await temporal.client.workflow.getHandle(id).fetchHistory()).filter((a) => a.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.map((a) => a.attempt)).toEqual(failed.map(() => 1));
  }
  expect(await everyArtifactVerifies('source', [missing.uri, corrupt.uri])).toEqual(before);
  expect(fs.readFileSync(fileOf(corrupt.uri))).toEqual(bytes);
  expect(fs.existsSync(fileOf(missing.uri))).toBe(false);
});

test('engine input errors become non-retryable failures, also when only their name crossed a worker thread', () => {
  const cases: Array<[Error, string]> = [
    [new InvalidInputError('policy.path: models/absent: no such model directory'), INVALID_INPUT],
    [new CheckpointFormatError('store://c/x.safetensors: not a valid safetensors file'), ARTIFACT_CORRUPT],
    [new ProviderUnavailableError('cuda', new Error('no libcuda')), PROVIDER_UNAVAILABLE],
  ];
  // What engine/runtime/workerProtocol.ts fromWire() rebuilds on the caller's side: a plain Error with the name.
  const fromWorker = Object.defineProperty(new Error('prompts[0]: 9 prompt tokens + maxNewTokens 8 exceeds the model context of 16'), 'name', { value: 'InvalidInputError' });
  cases.push([fromWorker, INVALID_INPUT]);
  for (const [err, type] of cases) {
    const failure = classify(err) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(err.message);
  }
  // A bug or a transient failure stays retryable.
  const bug = new Error('internal: graph output is missing');
  expect(classify(bug)).toBe(bug);
  // An engine RangeError fails the same way on every attempt (here: one from a worker thread, only its name kept);
  // an allocation that failed may succeed once other steps free memory.
  const rangeFromWorker = Object.defineProperty(new Error('Invalid typed array length: 17179869184'), 'name', { value: 'RangeError' });
  for (const err of [new RangeError('Invalid typed array length: 17179869184'), rangeFromWorker]) {
    const failure = classify(err) as ApplicationFailure;
    expect([failure.type, failure.nonRetryable]).toEqual([RESOURCE_LIMIT, true]);
    expect(failure.message).toMatch(/^Invalid typed array length: 17179869184 \(a RangeError fails the same way on every attempt/);
  }
  const allocation = new RangeError('Array buffer allocation failed');
  expect(classify(allocation)).toBe(allocation);
  // The workflows' retry policy names every non-retryable error and failure type the activities know.
  const known = [...Object.keys(NON_RETRYABLE_ERRORS), ...Object.values(NON_RETRYABLE_ERRORS)];
  expect([...NON_RETRYABLE_ERROR_TYPES].sort()).toEqual([...new Set(known)].sort());
  // The campaign re-raises the validateSpec activity's failure as its own, recognized by this type.
  expect(CAMPAIGN_INVALID_SPEC).toBe(INVALID_SPEC);
});

describe('a spec the engine cannot run fails at setup, once, naming the field and the fix', () => {
  const cases: Array<[string, Partial<CampaignSpecInput>, string, RegExp]> = [
    ['hf-policy-missing', { policy: { source: 'hf', path: 'models/absent' }, task: { name: 'text' } }, INVALID_INPUT,
      /^policy\.path: .*models\/absent: no such model directory/],
    // Premise: the CPU build of onnxruntime-node is installed, so the CUDA provider cannot load here.
    ['cuda-no-fallback', { execution: { provider: 'cuda', fallback: 'none' } }, PROVIDER_UNAVAILABLE,
      /execution provider 'cuda' cannot load.*set execution\.fallback: cpu/],
    // The model: without the estimate, setup died on `RangeError: Invalid typed array length`, retried forever.
    ['huge-model', { policy: { source: 'builtin', model: { dModel: 65536, layers: 64, heads: 64 } } }, RESOURCE_LIMIT,
      /^policy\.model .*would hold 17,179,869,184 elements, over the [\d,]+ a typed array can hold/],
    ['too-wide-to-train', { policy: { source: 'builtin', model: { dModel: 16384, layers: 64, heads: 64 } } }, RESOURCE_LIMIT,
      /^policy\.model .*needs at least [\d.]+ [GT]iB of memory .* but this machine has [\d.]+ GiB/],
    ['million-responses', { sampling: { promptsPerIteration: 64, n: 1_000_000, shards: 2 } }, RESOURCE_LIMIT,
      /^sampling\.n: .*responses.*over .*execution\.allowLargeRuns: true/],
  ];
  test.each(cases)('%s', async (campaign, overrides, type, message) => {
    const started = Date.now();
    const handle = await startCampaign(temporal.client, tinySpec(campaign, 'online-iterative-dpo', overrides));
    const failure = rootCause(await handle.result().then(() => undefined, (e: unknown) => e));
    const seconds = (Date.now() - started) / 1000;
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(message);
    // Without the fail-fast path this would be retried until setup's 2 h start-to-close timeout.
    expect(seconds).toBeLessThan(20);

    const activities = activityExecutions(await handle.fetchHistory());
    expect(activities.map((a) => [a.activityType, a.status, a.attempt])).toEqual([['setup', 'failed', 1]]);
    // The check ran before setup wrote anything: the store holds only the attempt journal.
    const written = (await store.list(campaign)).map(({ ref }) => ref.uri);
    expect(written.length).toBeGreaterThan(0);
    for (const uri of written) expect(uri).toMatch(/\/attempts\/setup-attempt1\.json$/);
  });
});
