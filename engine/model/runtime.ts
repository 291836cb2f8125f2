/**
 * The policy runtime: the GPT of gpt.ts running in ORT sessions, implementing PolicyRuntime of api.ts.
 * Graphs are built lazily, once per runtime, and their sessions shared through engine/runtime/sessions.ts.
 * Padding: generation left-pads prompts; scoring and training right-pad prompt + response (see batch.ts).
 */
import * as ort from 'onnxruntime-node';
import { chooseToken } from '../sampling/choose';
import { rngFor } from '../sampling/rng';
import { DEFAULT_RUNTIME } from '../runtime/sessions';
import type {
  NamedTensors, PolicyRuntime, PreferenceBatch, PreferenceHyper, PreferenceStepInput, PreferenceStepMetrics, ResolvedModelConfig, RuntimeOptions, SampleOptions, SftBatch, TrainCallOptions, TrainState,
} from './api';
import { checkSequences, checkTokens, int64, packPrompts, packSequences, scoreInChunks } from './batch';
import { cacheShape, parameterSpecs, validateConfig } from './gpt';
import { optimizerStep, microBatchRanges, type MicroBatch } from './accumulate';
import { buildDecodeGraph, buildPreferenceGraph, buildScoreGraph, buildSftGraph, PAIR_METRICS } from './graphs';
import { assertLossName } from './losses';
import { GraphSessions, outputTensor, scalarFeed, tensorFeeds, type Feeds } from './sessions';
import { checkMicroBatch, checkNumbers, checkOptimizerHyper, checkPreferenceHyper, checkTensors, checkTrainState, type OptimizerHyper } from './validate';
import { InvalidInputError } from '../errors';

type SftHyper = OptimizerHyper & { microBatch?: number };

/** Rows scored per session run: bounds the [rows, seq, vocab] logits a scoring call holds at once. */
const SCORE_CHUNK = 32;

function checkSampleOptions(config: ResolvedModelConfig, prompts: number[][], o: SampleOptions): void {
  if (!o || typeof o !== 'object') throw new InvalidInputError('sample options must be an object');
  if (!Array.isArray(o.temperatures) || o.temperatures.length !== prompts.length) {
    throw new InvalidInputError(`sample options: temperatures must hold one temperature per prompt row (${prompts.length}), got ${Array.isArray(o.temperatures) ? o.temperatures.length : typeof o.temperatures}`);
  }
  o.temperatures.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new InvalidInputError(`sample options: temperatures[${i}] must be a finite number >= 0, got ${String(t)}`);
  });
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new InvalidInputError(`sample options: topK must be an integer >= 0 (0 = off), got ${String(o.topK)}`);
  if (typeof o.topP !== 'number' || !(o.topP > 0 && o.topP <= 1)) throw new InvalidInputError(`sample options: topP must be in (0, 1] (1 = off), got ${String(o.topP)}`);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new InvalidInputError(`sample options: maxNewTokens must be an integer >= 1, got ${String(o.maxNewTokens)}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) throw new InvalidInputError(`sample options: seed must be an integer in [0, 2^32), got ${String(o.seed)}`);
  checkTokens([o.stopTokens], config.vocab, 'sample options: stopTokens');
  if (prompts.length === 0) throw new InvalidInputError('sample: got 0 prompts; pass at least one prompt row');
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new InvalidInputError(`prompts[${i}] is empty; every prompt needs at least one token (e.g. a BOS token) to condition on`);
    if (p.length + o.maxNewTokens > config.context) {
      throw new InvalidInputError(`prompts[${i}]: ${p.length} prompt tokens + maxNewTokens ${o.maxNewTokens} exceeds the model context of ${config.context}${config.contextSource ? ` (${config.contextSource})` : ''}; lower sampling.maxNewTokens${config.contextSource ? ' or shorten the prompt' : ' or raise model.context'}`);
    }
  });
}

export async function createPolicyRuntime(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): Promise<PolicyRuntime> {
  validateConfig(config);
  const frozen: ResolvedModelConfig = Object.freeze({ ...config });
  const specs = parameterSpecs(frozen, 'lm');
  const sessions = new GraphSessions(options);
  // Load (and probe the provider with) the scoring graph now, so a provider that cannot load fails at creation.
  await sessions.session('score', () => buildScoreGraph(frozen));

  const checkWeights = (weights: NamedTensors) => checkTensors(frozen, weights, 'lm', 'weights');

  async function sample(weights: NamedTensors, prompts: number[][], o: SampleOptions): Promise<number[][]> {
    checkWeights(weights);
    checkTokens(prompts, frozen.vocab, 'prompts');
    checkSampleOptions(frozen, prompts, o);
    const rows = prompts.length;
    const { vocab, layers } = frozen;
    const { heads, headDim: hd } = cacheShape(frozen);
    const batch = packPrompts(prompts);
    const weightFeeds = tensorFeeds(weights);
    const rngs = prompts.map((_, r) => rngFor(o.seed, r));
    const stops = new Set(o.stopTokens);
    const responses: number[][] = prompts.map(() => []);
    const done = new Array<boolean>(rows).fill(false);

    const past: Feeds = {};
    for (let l = 0; l < layers; l++) {
      for (const kind of ['key', 'value']) past[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [rows, heads, 0, hd]);
    }
    let attention = batch.attention;
    let feeds: Feeds = {
      ...weightFeeds, ...past,
      input_ids: int64(batch.ids, [rows, batch.width]),
      attention_mask: int64(attention, [rows, batch.width]),
      position_ids: int64(batch.positions, [rows, batch.width]),
    };
    const positions = batch.nextPosition.slice();
    for (let step = 0; step < o.maxNewTokens; step++) {
      const out = await sessions.run('decode', () => buildDecodeGraph(frozen), feeds);
      const logits = outputTensor(out, 'logits');
      const seqLen = logits.dims[1];
      const data = logits.data as Float32Array;
      const next = new BigInt64Array(rows);
      for (let r = 0; r < rows; r++) {
        if (done[r]) continue;
        const at = (r * seqLen + seqLen - 1) * vocab;
        const token = chooseToken(data.subarray(at, at + vocab), { temperature: o.temperatures[r], topK: o.topK, topP: o.topP }, rngs[r]);
        responses[r].push(token);
        next[r] = BigInt(token);
        if (stops.has(token)) done[r] = true;
      }
      if (done.every(Boolean) || step === o.maxNewTokens - 1) break;
      // Finished rows keep decoding a pad token whose output is ignored: the batch keeps one shape throughout.
      const width = attention.length / rows;
      const grown = new BigInt64Array(rows * (width + 1));
      for (let r = 0; r < rows; r++) {
        grown.set(attention.subarray(r * width, (r + 1) * width), r * (width + 1));
        grown[r * (width + 1) + width] = 1n;
      }
      attention = grown;
      const positionIds = BigInt64Array.from(positions, (p) => BigInt(p));
      for (let r = 0; r < rows; r++) positions[r] += 1;
      feeds = { ...weightFeeds, input_ids: int64(next, [rows, 1]), attention_mask: int64(attention, [rows, width + 1]), position_ids: int64(positionIds, [rows, 1]) };
      for (let l = 0; l < layers; l++) {
        feeds[`past_key_values.${l}.key`] = outputTensor(out, `present.${l}.key`);
        feeds[`past_key_values.${l}.value`] = outputTensor(out, `present.${l}.value`);
      }
    }
    return responses;
  }

  async function sequenceLogprobs(weights: NamedTensors, prompts: number[][], responses: number[][]): Promise<Float64Array> {
    checkWeights(weights);
    checkSequences(frozen, prompts, responses);
    const weightFeeds = tensorFeeds(weights);
    return scoreInChunks(prompts, responses, SCORE_CHUNK, async (p, r) => {
      const out = await sessions.run('score', () => buildScoreGraph(frozen), { ...weightFeeds, ...packSequences(p, r) });
      return outputTensor(out, 'logps').data as Float32Array;
    });
  }

  // inPlace: the state was made by an earlier step of the same call (sftSteps / preferenceSteps), or the caller
  // handed it over (TrainCallOptions.consume), so nobody else reads its arrays and the step may overwrite them
  // (adamw.ts); otherwise a caller's state is never changed.
  async function sftStepOn(state: TrainState, prompts: number[][], responses: number[][], hyper: SftHyper, inPlace: boolean) {
    checkTrainState(frozen, state, 'lm');
    checkSequences(frozen, prompts, responses);
    checkOptimizerHyper(hyper);
    checkMicroBatch(hyper.microBatch);
    // The loss is the mean over the batch's response tokens: each micro-batch weighs its share of them.
    const tokens = (a: number, b: number) => responses.slice(a, b).reduce((n, r) => n + r.length, 0);
    const total = tokens(0, prompts.length);
    const micro = microBatchRanges(prompts.length, hyper.microBatch ?? prompts.length).map(([a, b]): MicroBatch => ({
      weight: total > 0 ? tokens(a, b) / total : 0,
      feeds: () => packSequences(prompts.slice(a, b), responses.slice(a, b)),
    }));
    const out = await optimizerStep(sessions, specs, state, hyper, { key: 'sft', build: () => buildSftGraph(frozen) }, micro, ['loss'], inPlace);
    return { state: out.state, loss: out.scalars.loss, grad_norm: out.grad_norm };
  }

  const sftStep = (state: TrainState, prompts: number[][], responses: number[][], hyper: SftHyper) => sftStepOn(state, prompts, responses, hyper, false);

  async function sftSteps(state: TrainState, batches: SftBatch[], hyper: SftHyper, options?: TrainCallOptions) {
    if (!Array.isArray(batches) || batches.length === 0) throw new InvalidInputError(`sftSteps: batches must be a non-empty array of {prompts, responses}, got ${Array.isArray(batches) ? 'an empty array' : typeof batches}`);
    let out = { state, loss: NaN, grad_norm: NaN };
    for (const [i, b] of batches.entries()) out = await sftStepOn(out.state, b.prompts, b.responses, hyper, i > 0 || options?.consume === true);
    return out;
  }

  async function preferenceStepOn(state: TrainState, batch: PreferenceBatch, hyper: PreferenceHyper, inPlace: boolean) {
    assertLossName(hyper?.loss);
    checkTrainState(frozen, state, 'lm');
    checkOptimizerHyper(hyper);
    checkPreferenceHyper(hyper);
    if (!batch || typeof batch !== 'object') throw new InvalidInputError('preference batch must be an object {prompts, chosen, rejected, refChosen, refRejected}');
    checkSequences(frozen, batch.prompts, batch.chosen, 'chosen');
    checkSequences(frozen, batch.prompts, batch.rejected, 'rejected');
    const pairs = batch.prompts.length;
    checkNumbers(batch.refChosen, pairs, 'refChosen');
    checkNumbers(batch.refRejected, pairs, 'refRejected');
    checkMicroBatch(hyper.microBatch);
    // Chosen rows first, then rejected rows: the graph splits its per-row log-probs in half.
    const pairFeeds = (a: number, b: number): Feeds => {
      const prompts = batch.prompts.slice(a, b);
      return {
        ...packSequences(prompts.concat(prompts), batch.chosen.slice(a, b).concat(batch.rejected.slice(a, b))),
        ref_chosen: new ort.Tensor('float32', Float32Array.from(batch.refChosen.slice(a, b)), [b - a]),
        ref_rejected: new ort.Tensor('float32', Float32Array.from(batch.refRejected.slice(a, b)), [b - a]),
        beta: scalarFeed(hyper.beta),
        label_smoothing: scalarFeed(hyper.labelSmoothing),
      };
    };
    // The loss and every metric are means over pairs: each micro-batch weighs its share of the pairs.
    const micro = microBatchRanges(pairs, hyper.microBatch ?? pairs).map(([a, b]): MicroBatch => ({ weight: (b - a) / pairs, feeds: () => pairFeeds(a, b) }));
    const graph = { key: `preference:${hyper.loss}`, build: () => buildPreferenceGraph(frozen, hyper.loss) };
    const out = await optimizerStep(sessions, specs, state, hyper, graph, micro, ['loss', ...PAIR_METRICS], inPlace);
    const metrics = { ...out.scalars, grad_norm: out.grad_norm } as PreferenceStepMetrics;
    return { state: out.state, metrics };
  }

  const preferenceStep = (state: TrainState, batch: PreferenceBatch, hyper: PreferenceHyper) => preferenceStepOn(state, batch, hyper, false);

  async function preferenceSteps(state: TrainState, steps: PreferenceStepInput[], options?: TrainCallOptions) {
    if (!Array.isArray(steps) || steps.length === 0) throw new InvalidInputError(`preferenceSteps: steps must be a non-empty array of {batch, hyper}, got ${Array.isArray(steps) ? 'an empty array' : typeof steps}`);
    const metrics: PreferenceStepMetrics[] = [];
    for (const [i, { batch, hyper }] of steps.entries()) {
      const out = await preferenceStepOn(state, batch, hyper, i > 0 || options?.consume === true);
      state = out.state;
      metrics.push(out.metrics);
    }
    return { state, metrics };
  }

  return {
    config: frozen,
    sample,
    sequenceLogprobs,
    sftStep,
    sftSteps,
    preferenceStep,
    preferenceSteps,
    async dispose() {
      sessions.clear();
    },
  };
}
