/**
 * How close can the bench's policy class get to J* at all (issue 17, point 3)? On the enumerable bandit the
 * Gibbs policy pi* = pi0 exp(r/eta)/Z is known exactly, so we fit the model to it and read the exact J of the fit:
 * that J is reached by a member of the class, so it is a lower bound on the best J the class can reach, and
 * J* - J(fit) bounds what the model cannot represent. The gap between an algorithm's J and J(fit) is what the
 * algorithm leaves.
 *
 * Fit: warm start from pi0, SFT (cross-entropy, i.e. KL(pi* || pi)) on responses sampled exactly from pi* for every
 * distinct prompt of the task, AdamW at --lr for --steps steps of --batch rows. Forward KL is the standard
 * distillation objective; it needs no reward model and no preference data, only the exact target.
 *
 *   node -r @swc-node/register bench/fidelity-capacity.ts [--seeds 3] [--steps 1500] [--lr 3e-3] [--batch 64]
 *     [--model '{"dModel":32,"layers":2,"heads":2,"context":8}']
 *
 * Last line: one JSON object {eta, model, seeds: [{seed, J0, Jstar, Jfit, fraction, kl, reward}]}.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalArtifactStore } from '../store/local';
import { disposeRuntimes, setup } from '../engine/steps';
import { loadWeights, resolvedModelConfig } from '../engine/steps/common';
import { createPolicyRuntime, type NamedTensors, type SftBatch, type TrainState, zerosLike } from '../engine/model';
import { taskFromSpec } from '../engine/tasks';
import { exactMetrics, normalize } from '../engine/evaluation/exact';
import { rngFor, streamId } from '../engine/sampling/rng';
import { banditSpec, BENCH_BETA, deepMerge } from './fidelity-spec';
import { CampaignSpecSchema, type CampaignSpecInput } from '../schemas/campaign';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] ? args[i + 1] : fallback; };
const seeds = Number(option('seeds', '3'));
const firstSeed = Number(option('first-seed', '0'));
const steps = Number(option('steps', '1500'));
const lr = Number(option('lr', '3e-3'));
const batchSize = Number(option('batch', '64'));
const model = option('model', '');

async function fit(seed: number, store: LocalArtifactStore) {
  const input = banditSpec('online-iterative-dpo', seed, { iterations: 1, labels: 128 });
  const spec = CampaignSpecSchema.parse(model ? deepMerge(input, { policy: { model: JSON.parse(model) } }) as CampaignSpecInput : input);
  const eta = spec.update.beta;
  const task = taskFromSpec(spec);
  const config = resolvedModelConfig(spec, task);
  const { pi0 } = await setup({ store, spec, campaign: `capacity-s${seed}`, iteration: 0 });
  const initial = await loadWeights(store, pi0);
  const runtime = await createPolicyRuntime(config);
  const responses = task.allResponses();
  const key = (x: number[]) => x.join(',');
  const prompts = [...new Map([...task.trainPrompts, ...task.evalPrompts].map((x) => [key(x), x])).values()];
  // pi*(.|x) for every distinct prompt, from pi0's exact log-probs.
  const targets: Float64Array[] = [];
  for (const x of prompts) {
    const lq = await runtime.sequenceLogprobs(initial, responses.map(() => x), responses);
    targets.push(normalize(Array.from(lq, (l, i) => l + task.gold(x, responses[i]) / eta)));
  }
  const rng = rngFor(seed, streamId('bench/capacity'));
  const draw = (p: Float64Array) => { let u = rng.next(); for (let i = 0; i < p.length; i++) { u -= p[i]; if (u < 0) return i; } return p.length - 1; };
  const copy = (w: NamedTensors): NamedTensors => new Map([...w].map(([k, t]) => [k, { ...t, shape: t.shape.slice(), data: t.data.slice() }]));
  let state: TrainState = { weights: copy(initial), m: zerosLike(initial), v: zerosLike(initial), step: 0 };
  for (let s = 0; s < steps; s += 50) {
    const chunk: SftBatch[] = [];
    for (let b = s; b < Math.min(steps, s + 50); b++) {
      const rows = Array.from({ length: batchSize }, () => rng.nextInt(prompts.length));
      chunk.push({ prompts: rows.map((k) => prompts[k]), responses: rows.map((k) => responses[draw(targets[k])]) });
    }
    // Cosine decay over the whole fit, constant within a chunk of 50 steps.
    const rate = lr * 0.5 * (1 + Math.cos((Math.PI * s) / steps));
    ({ state } = await runtime.sftSteps(state, chunk, { lr: rate, weightDecay: 0, maxGradNorm: 1 }));
  }
  const evalPrompts = task.evalPrompts.slice(0, spec.evaluation.prompts);
  const e0 = await exactMetrics(runtime, initial, initial, task, evalPrompts, eta);
  const e = await exactMetrics(runtime, state.weights, initial, task, evalPrompts, eta);
  await runtime.dispose();
  return { seed, J0: e0.J, Jstar: e.Jstar!, Jfit: e.J, fraction: (e.J - e0.J) / (e.Jstar! - e0.J), kl: e.kl, reward: e.reward };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-capacity-'));
  const store = new LocalArtifactStore(dir);
  const rows = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const t0 = Date.now();
    const r = await fit(seed, store);
    rows.push(r);
    process.stdout.write(`seed ${seed}: J(pi0) ${r.J0.toFixed(3)}  J* ${r.Jstar.toFixed(3)}  J(fit to pi*) ${r.Jfit.toFixed(3)}  = ${(100 * r.fraction).toFixed(1)}% of the way  (KL ${r.kl.toFixed(3)}, reward ${r.reward.toFixed(3)}; ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  await disposeRuntimes();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ eta: BENCH_BETA, model: model || 'bench', steps, lr, batch: batchSize, seeds: rows })}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
