/**
 * Refusing what cannot run, before any compute: the built-in policy's parameter count and memory, the work of each
 * step, rows held in memory and the store's disk, against the limits of a machine. The estimates are checked against
 * the model's own parameter list and the activities' time limits; refusals name the field, the estimate and the limit.
 */
import * as os from 'node:os';
import { parameterSpecs } from '../../../engine/model/gpt';
import { gptParameters, iterationWork, policyShape, STEP_TIME_LIMIT_SECONDS, storageEstimate, trainingMemory } from '../../../engine/resources/estimate';
import { freeDiskBytes, machineLimits, type MachineLimits } from '../../../engine/resources/machine';
import { checkPolicyFits, checkResources, checkWorkFits } from '../../../engine/resources/refuse';
import { checkedIterationPlan } from '../../../engine/steps/feasibility';
import { parseCampaignSpec } from '../../../schemas/parse';
import type { CampaignSpecInput } from '../../../schemas/campaign';
import { stepOptions } from '../../../workflows/activity-options';
import { msToNumber } from '@temporalio/common/lib/time';

const spec = (input: CampaignSpecInput = {}) => parseCampaignSpec(input);
const GiB = 2 ** 30;
const machine: MachineLimits = { memoryBytes: 24 * GiB, heapBytes: 4 * GiB, maxTensorElements: 2 ** 32 };

function refusal(fn: () => void): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a refusal');
}

test('the closed-form parameter count equals the model\'s own parameter list (tied and untied heads)', () => {
  for (const config of [
    { vocab: 4, dModel: 16, layers: 1, heads: 2, context: 16, tiedHead: true },
    { vocab: 37, dModel: 64, layers: 3, heads: 4, context: 32, tiedHead: false },
  ]) {
    const listed = parameterSpecs(config, 'lm').reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    expect(gptParameters(config)).toBe(listed);
  }
});

test('every example-sized spec passes; the defaults need a few MiB', () => {
  const defaults = spec();
  expect(() => checkResources(defaults, { limits: machine })).not.toThrow();
  const mem = trainingMemory(defaults, policyShape(defaults)!);
  expect(mem.trainingBytes).toBeGreaterThan(5 * 4 * mem.parameters);
  expect(mem.trainingBytes).toBeLessThan(64 * 2 ** 20);
});

test('the issue\'s model is refused with the tensor size and the typed-array limit; a wide one with the memory estimate and the machine\'s memory', () => {
  const huge = refusal(() => checkPolicyFits(spec({ policy: { source: 'builtin', model: { dModel: 65536, layers: 64, heads: 64 } } }), machine));
  expect(huge.name).toBe('ResourceLimitError');
  expect(huge.message).toMatch(/^policy\.model \(dModel 65536, layers 64, heads 64, context 32\): one tensor .* 17,179,869,184 elements, over the 4,294,967,296 a typed array can hold; lower policy\.model\.dModel/);
  const wide = refusal(() => checkPolicyFits(spec({ policy: { source: 'builtin', model: { dModel: 4096, layers: 64, heads: 64 } } }), machine));
  expect(wide.message).toMatch(/^policy\.model .*\(12,888,465,408 parameters\) needs at least 25\d\.\d GiB of memory .* but this machine has 24\.0 GiB; lower policy\.model\.dModel or policy\.model\.layers$/);
  // The same model fits a machine with the memory for it: the estimate, not the size alone, decides.
  expect(() => checkPolicyFits(spec({ policy: { source: 'builtin', model: { dModel: 4096, layers: 64, heads: 64 } } }), { ...machine, memoryBytes: 300 * GiB })).not.toThrow();
});

test('sampling.n: 1000000 is refused for its rows in memory; allowLargeRuns lets it through; rso names its own field', () => {
  const million = refusal(() => checkWorkFits(spec({ sampling: { n: 1_000_000 } }), { limits: machine }));
  expect(million.name).toBe('ResourceLimitError');
  expect(million.message).toMatch(/^sampling\.n: ranking and pairing hold an iteration's 64,000,000 responses .* an estimated [\d.]+ GiB, over this worker's JS heap limit of 4\.0 GiB .*execution\.allowLargeRuns: true/);
  expect(() => checkWorkFits(spec({ sampling: { n: 1_000_000 }, execution: { allowLargeRuns: true } }), { limits: machine })).not.toThrow();
  const rso = refusal(() => checkWorkFits(spec({ algorithm: 'rso', rejectionSampling: { candidates: 1_000_000 } }), { limits: machine }));
  expect(rso.message).toMatch(/^rejectionSampling\.candidates: /);
});

test('a step whose work cannot finish within its time limit is refused with the estimate; more shards or threads fit it', () => {
  // A mid-sized model and 16 x 8192 responses of 20 tokens per shard: hours of sampling at 5 GFLOP/s.
  const big = { policy: { source: 'builtin' as const, model: { dModel: 512, layers: 8, heads: 8, context: 32 } }, task: { name: 'bandit' as const, sft: { steps: 10 } }, sampling: { promptsPerIteration: 64, n: 4096, shards: 2 } };
  const err = refusal(() => checkWorkFits(spec(big), { limits: { ...machine, heapBytes: 64 * GiB } }));
  expect(err.message).toMatch(/^sampling\.n: each sampling shard samples 131,072 responses .* an estimated [\d.]+ h at 5 GFLOP\/s per ORT thread x execution\.threads 1, over the 2\.0 h the sampleShard step may run; lower sampling\.n .* raise sampling\.shards/);
  expect(() => checkWorkFits(spec({ ...big, sampling: { ...big.sampling, shards: 64 } }), { limits: { ...machine, heapBytes: 64 * GiB } })).not.toThrow();
});

test('a campaign whose output cannot fit on the store\'s disk is refused naming the store root', () => {
  const s = spec({ iterations: 1000, sampling: { n: 64 } });
  const need = storageEstimate(s, policyShape(s)!).campaignBytes;
  const free = freeDiskBytes(os.tmpdir());
  expect(free).toBeGreaterThan(0);
  if (need > free!) {
    expect(refusal(() => checkWorkFits(s, { storeRoot: os.tmpdir(), limits: machine })).message).toMatch(/^iterations: the campaign would write an estimated/);
  } else {
    // A bigger one: the estimate grows with iterations x responses, past any disk this test runs on.
    const bigger = spec({ iterations: 1000, sampling: { n: 2 * Math.ceil((free! / need) * 64) } });
    expect(refusal(() => checkWorkFits(bigger, { storeRoot: os.tmpdir(), limits: { ...machine, heapBytes: 2 ** 50 } })).message)
      .toMatch(new RegExp(`^iterations: the campaign would write an estimated [\\d.]+ [GTP]iB to the store .* is free at ${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }
});

test('a hyper-parameter patch is re-checked by each iteration\'s plan', () => {
  expect(checkedIterationPlan(spec(), 1).prompts.count).toBe(64);
  expect(refusal(() => checkedIterationPlan(spec({ sampling: { n: 1_000_000 } }), 2)).name).toBe('ResourceLimitError');
});

test('the step time limits are the activities\' start-to-close timeouts; this machine\'s limits are read', () => {
  const options = stepOptions(spec());
  for (const [step, seconds] of Object.entries(STEP_TIME_LIMIT_SECONDS)) {
    expect([step, msToNumber(options[step as keyof typeof options].startToCloseTimeout!) / 1000]).toEqual([step, seconds]);
  }
  const limits = machineLimits();
  expect(limits.memoryBytes).toBeGreaterThan(0);
  expect(limits.memoryBytes).toBeLessThanOrEqual(os.totalmem());
  expect(limits.heapBytes).toBeGreaterThan(0);
  expect(iterationWork(spec(), policyShape(spec())!).responses).toBe(64 * 8);
});
