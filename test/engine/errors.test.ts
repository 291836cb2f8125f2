/**
 * Input errors are recognisable as such: every engine throw caused by the spec, data or files is an InvalidInputError
 * (or CheckpointFormatError / ProviderUnavailableError) whose message names the field and the fix, and its name
 * survives the worker-thread boundary, which is what the activities classify by.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointFormatError, decodeCheckpoint } from '../../engine/checkpoint';
import { InvalidInputError, isInputError } from '../../engine/errors';
import type { PolicyRuntime } from '../../engine/model/api';
import { checkSequences, checkTokens } from '../../engine/model/batch';
import { initPolicy, validateConfig } from '../../engine/model/gpt';
import { assertLossName } from '../../engine/model/losses';
import { checkTensors } from '../../engine/model/validate';
import { iterationPlan } from '../../engine/plans/plan';
import { threadPolicyRuntime } from '../../engine/runtime/policy-runtimes';
import { DEFAULT_RUNTIME } from '../../engine/runtime/sessions';
import { ProviderUnavailableError, resolvedProvider } from '../../engine/runtime/sessions';
import { resolvedModelConfig } from '../../engine/steps/common';
import { checkFeasible } from '../../engine/steps/feasibility';
import { loadTask, taskFromSpec } from '../../engine/tasks';
import { TINY } from './model/reference';
import { tinySpec } from './steps/tiny-spec';

/** The error `fn` throws (or its promise rejects with); fails the test when it does not throw. */
async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
  throw new Error('expected an error, got none');
}

async function expectInputError(fn: () => unknown, message: RegExp, name = 'InvalidInputError'): Promise<Error> {
  const err = await thrown(fn);
  expect(err.name).toBe(name);
  expect(err).toBeInstanceOf(InvalidInputError);
  expect(isInputError(err)).toBe(true);
  expect(err.message).toMatch(message);
  return err;
}

const hfOnBandit = tinySpec({ policy: { source: 'hf', path: 'models/tiny' } });
const filesTask = tinySpec({ task: { name: 'files', prompts: 'p.jsonl', evalPrompts: 'e.jsonl' } });
const shortContext = tinySpec({ policy: { source: 'builtin', model: { dModel: 16, layers: 1, heads: 2, context: 4 } } });
const cudaNoFallback = tinySpec({ execution: { provider: 'cuda', fallback: 'none' } });

describe('spec errors of the steps', () => {
  it('a Hugging Face policy on the bandit task names task.name and the fix', async () => {
    await expectInputError(() => taskFromSpec(hfOnBandit, '/tmp'), /^task\.name 'bandit': with policy\.source hf .*set task\.name to 'text'/);
  });

  it('a model context too short for the task names policy.model.context', async () => {
    await expectInputError(() => resolvedModelConfig(shortContext, taskFromSpec(shortContext)), /policy\.model\.context is 4 .*raise policy\.model\.context/);
  });

  it('a files task names task.name', async () => {
    await expectInputError(() => loadTask(filesTask), /task\.name 'files': pi0 is the given model, so the policy must be a Hugging Face model/);
  });

  it('an iteration outside the campaign names spec.iterations', async () => {
    await expectInputError(() => iterationPlan(tinySpec(), 3), /iteration must be an integer in \[1, 2\] \(spec\.iterations\), got 3/);
  });

  it('an etaSchedule that does not decrease names rejectionSampling.etaSchedule', async () => {
    const spec = tinySpec({ algorithm: 'offline-multistep-rs', rejectionSampling: { candidates: 6, accepted: 2, etaSchedule: [0.1, 0.5] } });
    await expectInputError(() => { for (let t = 1; t <= spec.iterations; t++) iterationPlan(spec, t); }, /rejectionSampling\.etaSchedule must be strictly decreasing/);
  });
});

describe('model input errors', () => {
  const config = { ...TINY };

  it('a bad model config names the field', async () => {
    await expectInputError(() => validateConfig({ ...config, heads: 3 }), /dModel \(16\) must be divisible by heads \(3\)/);
  });

  it('weights of the wrong shape name the tensor and the expected shape', async () => {
    const weights = initPolicy(config, 0);
    const t = weights.get('transformer.wte.weight')!;
    weights.set('transformer.wte.weight', { ...t, shape: [t.shape[1], t.shape[0]] });
    await expectInputError(() => checkTensors(config, weights, 'lm', 'weights'), /'transformer\.wte\.weight' has shape \[16,11\] but the model expects \[11,16\]/);
  });

  it('token ids out of range and rows over the context name the row and the fix', async () => {
    await expectInputError(() => checkTokens([[1, 11]], config.vocab, 'prompts'), /prompts\[0\]\[1\] = 11 is not a token id.*vocab must agree/);
    await expectInputError(() => checkSequences(config, [[1, 2, 3, 4, 5, 6, 7, 8, 9]], [[1, 2, 3, 4, 5, 6, 7, 8]]), /exceeds the model context of 16; shorten it or raise model\.context/);
  });

  it('an unknown loss names update.loss', async () => {
    await expectInputError(() => assertLossName('hinge-squared'), /unknown preference loss 'hinge-squared'; update\.loss must be one of/);
  });

  it('a corrupt checkpoint is a CheckpointFormatError naming the file', async () => {
    const err = await expectInputError(() => decodeCheckpoint(new Uint8Array([1, 2, 3]), 'store://c/iter-1/update/policy.safetensors'), /store:\/\/c\/iter-1\/update\/policy\.safetensors: not a valid safetensors file/, 'CheckpointFormatError');
    expect(err).toBeInstanceOf(CheckpointFormatError);
  });

  it('a provider that cannot load with fallback none is a ProviderUnavailableError with the fix', async () => {
    // Premise: the CPU build of onnxruntime-node is installed, so the CUDA provider cannot load here.
    const err = await expectInputError(() => resolvedProvider({ provider: 'cuda', fallback: 'none', threads: 1 }), /execution provider 'cuda' cannot load.*set execution\.fallback: cpu/, 'ProviderUnavailableError');
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(resolvedProvider({ provider: 'cuda', fallback: 'cpu', threads: 1 })).resolves.toBe('cpu');
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Falling back to the CPU provider/));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('across the worker-thread boundary', () => {
  let hosted: PolicyRuntime | undefined;
  afterAll(async () => { await hosted?.dispose(); });

  it('an input error keeps its name (at start-up and per call), so it can be classified', async () => {
    const atStart = await thrown(() => threadPolicyRuntime({ ...TINY, heads: 3 }, DEFAULT_RUNTIME));
    expect(atStart.name).toBe('InvalidInputError');
    expect(isInputError(atStart)).toBe(true);
    expect(atStart.message).toMatch(/must be divisible by heads \(3\)/);

    hosted = await threadPolicyRuntime(TINY, DEFAULT_RUNTIME);
    const runtime = hosted;
    const sampling = { temperatures: [1], topK: 0, topP: 1, maxNewTokens: 15, stopTokens: [], seed: 1 };
    const perCall = await thrown(() => runtime.sample(initPolicy(TINY, 0), [[1, 2]], sampling));
    expect(perCall.name).toBe('InvalidInputError');
    expect(isInputError(perCall)).toBe(true);
    expect(perCall.message).toMatch(/2 prompt tokens \+ maxNewTokens 15 exceeds the model context of 16; lower sampling\.maxNewTokens or raise model\.context/);
  });

  it('a plain error (a bug, not input) is not an input error', () => {
    expect(isInputError(new Error('internal: graph output is missing'))).toBe(false);
    expect(isInputError('InvalidInputError')).toBe(false);
  });
});

describe('checkFeasible: the checks setup runs before any compute', () => {
  it.each([
    ['policy.source hf on the bandit task', hfOnBandit, /task\.name 'bandit'/, 'InvalidInputError'],
    ['a files task', filesTask, /task\.name 'files'/, 'InvalidInputError'],
    ['a file of offline pairs', tinySpec({ offline: { pairs: 'inputs/pairs.jsonl' } }), /^offline\.pairs: .*use offline\.prompts/, 'InvalidInputError'],
    ['a context too small', shortContext, /raise policy\.model\.context/, 'InvalidInputError'],
    ['cuda with fallback none', cudaNoFallback, /execution provider 'cuda' cannot load/, 'ProviderUnavailableError'],
  ])('refuses %s', async (_what, spec, message, name) => {
    await expectInputError(() => checkFeasible(spec), message, name);
  });

  it('passes a spec the steps can run', async () => {
    await expect(checkFeasible(tinySpec())).resolves.toBeUndefined();
  });

  it('given the store root, refuses an ONNX reward model that is missing or outside the root', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-feasible-'));
    try {
      const onnxReward = (model: string, tokenizer?: string) => tinySpec({ reward: { source: { kind: 'onnx', model, tokenizer } } });
      await expectInputError(() => checkFeasible(onnxReward('inputs/rm.onnx'), root), /^reward\.source\.model: file 'inputs\/rm\.onnx' does not exist/, 'InvalidInputError');
      await expectInputError(() => checkFeasible(onnxReward('../rm.onnx'), root), /^reward\.source\.model: path "\.\.\/rm\.onnx" is refused/, 'InvalidInputError');
      fs.mkdirSync(path.join(root, 'inputs'));
      fs.writeFileSync(path.join(root, 'inputs', 'rm.onnx'), '');
      await expectInputError(() => checkFeasible(onnxReward('inputs/rm.onnx', '/etc/hosts'), root), /^reward\.source\.tokenizer: path .* is refused/, 'InvalidInputError');
      await expect(checkFeasible(onnxReward('inputs/rm.onnx'), root)).resolves.toBeUndefined();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
