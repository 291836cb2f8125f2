/**
 * Per-iteration diagnosis of one bandit campaign (issue 17): J, reward, KL, labels and pairs, the DPO train
 * metrics, the policy's entropy, how many distinct responses its samples hold, and how much probability it puts on
 * responses it never sampled for that prompt. Also prints J (at eta) of the policy DPO's loss targets given the
 * labeler, pi0 exp(r/(T*beta)), beside J*.
 *
 *   node -r @swc-node/register bench/fidelity-diagnose.ts [--seed S] [--iterations T] [--labels L] [--algorithm A]
 *     [--patch '{"update":{"init":"initial","data":"accumulate"}}'] [--store DIR]
 *
 * The spec is bench/fidelity.ts's bandit spec with --patch deep-merged into it. Last line: one JSON object.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CampaignSpecSchema, type Algorithm, type CampaignSpecInput } from '../schemas/campaign';
import { LocalArtifactStore } from '../store/local';
import { runCampaign } from '../engine/runner';
import { disposeRuntimes, setup } from '../engine/steps';
import { loadWeights, readRows, resolvedModelConfig } from '../engine/steps/common';
import { createPolicyRuntime } from '../engine/model';
import { taskFromSpec } from '../engine/tasks';
import { normalize, optimalValue, promptExact } from '../engine/evaluation/exact';
import type { Pair, Sample } from '../engine/preference/types';
import { banditSpec, deepMerge } from './fidelity-spec';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] ? args[i + 1] : fallback; };
const seed = Number(option('seed', '0'));
const iterations = Number(option('iterations', '8'));
const labels = Number(option('labels', '512'));
const algorithm = option('algorithm', 'online-iterative-dpo') as Algorithm;
const patch = JSON.parse(option('patch', '{}')) as Record<string, unknown>;
const storeDir = option('store', fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-diagnose-')));

async function main(): Promise<void> {
  const input = deepMerge(banditSpec(algorithm, seed, { iterations, labels }), patch) as CampaignSpecInput;
  const spec = CampaignSpecSchema.parse(input);
  const store = new LocalArtifactStore(storeDir);
  const t0 = Date.now();
  const campaign = `diag-${Date.now()}`;
  const summary = await runCampaign(spec, { store, campaign });
  const task = taskFromSpec(spec);
  const runtime = await createPolicyRuntime(resolvedModelConfig(spec, task));
  const responses = task.allResponses();
  const key = (a: number[]) => a.join(',');
  const eta = spec.update.beta;
  const T = spec.reward.source.kind === 'bt-oracle' ? spec.reward.source.temperature : spec.reward.source.kind === 'bt-model' ? spec.reward.source.oracleTemperature : 0;
  const prompts = task.evalPrompts.slice(0, spec.evaluation.prompts);
  const logp = async (weights: Awaited<ReturnType<typeof loadWeights>>) => {
    const xs: number[][] = [], as: number[][] = [];
    for (const x of prompts) for (const a of responses) { xs.push(x); as.push(a); }
    const out: Float64Array[] = [];
    const flat = new Float64Array(xs.length);
    for (let s = 0; s < xs.length; s += 1024) flat.set(await runtime.sequenceLogprobs(weights, xs.slice(s, s + 1024), as.slice(s, s + 1024)), s);
    for (let k = 0; k < prompts.length; k++) out.push(flat.subarray(k * responses.length, (k + 1) * responses.length));
    return out;
  };
  // pi0: setup returns its finished (cached) output.
  const { pi0 } = await setup({ store, spec, campaign, iteration: 0 });
  const lq = await logp(await loadWeights(store, pi0));
  const rewards = prompts.map((x) => responses.map((a) => task.gold(x, a)));
  // J at eta of the policy the loss targets: DPO's population optimum against pi0 is pi0 exp(r_label/beta), and a
  // labeler at temperature T answers with r/T, so the target is pi0 exp(r/(T*beta)).
  let Jtarget = 0, Jstar = 0, starTop = 0, starKl = 0, starEntropy = 0;
  const lossBeta = eta / spec.update.labelTemperature;
  const etaTarget = T > 0 ? T * lossBeta : lossBeta;
  prompts.forEach((_, k) => {
    const z = Array.from(lq[k], (l, i) => l + rewards[k][i] / etaTarget);
    const e = promptExact(z, lq[k], rewards[k], eta);
    Jtarget += e.reward - eta * e.kl;
    Jstar += optimalValue(normalize(lq[k]).map(Math.log), rewards[k], eta);
    const star = promptExact(Array.from(lq[k], (l, i) => l + rewards[k][i] / eta), lq[k], rewards[k], eta);
    const ps = normalize(Array.from(lq[k], (l, i) => l + rewards[k][i] / eta));
    starTop += Math.max(...ps); starKl += star.kl; starEntropy -= ps.reduce((a, x) => a + (x > 0 ? x * Math.log(x) : 0), 0);
  });
  Jtarget /= prompts.length; Jstar /= prompts.length; starTop /= prompts.length; starKl /= prompts.length; starEntropy /= prompts.length;

  const seen = new Map<string, Set<string>>();
  const rows: Array<Record<string, number>> = [];
  for (const rec of summary.iterations) {
    const samples = await readRows<Sample>(store, Object.entries(rec.artifacts).filter(([k]) => k.startsWith('samples')).map(([, r]) => r));
    const distinct = new Map<string, Set<string>>();
    for (const s of samples) {
      const p = key(s.prompt);
      if (!seen.has(p)) seen.set(p, new Set());
      seen.get(p)!.add(key(s.response));
      const d = distinct.get(`${s.promptIndex}`) ?? new Set<string>();
      d.add(key(s.response));
      distinct.set(`${s.promptIndex}`, d);
    }
    const pairs = await readRows<Pair>(store, [rec.artifacts.pairs]);
    const lp = await logp(await loadWeights(store, rec.artifacts.checkpoint));
    let entropy = 0, unseen = 0, top = 0;
    prompts.forEach((x, k) => {
      const p = normalize(lp[k]);
      const s = seen.get(key(x)) ?? new Set<string>();
      p.forEach((pi, i) => { if (pi > 0) entropy -= pi * Math.log(pi); if (!s.has(key(responses[i]))) unseen += pi; });
      top += Math.max(...p);
    });
    const n = prompts.length;
    const row = {
      iteration: rec.iteration, J: rec.eval.J, reward: rec.eval.reward, kl: rec.eval.kl, gap: rec.eval.gap ?? NaN,
      labels: rec.labels, prompts: distinct.size,
      distinctPerPrompt: [...distinct.values()].reduce((a, d) => a + d.size, 0) / Math.max(1, distinct.size),
      goldMargin: pairs.reduce((a, q) => a + task.gold(q.prompt, q.chosen) - task.gold(q.prompt, q.rejected), 0) / Math.max(1, pairs.length),
      trainMargin: rec.train['rewards/margins'] ?? NaN, trainAcc: rec.train['rewards/accuracies'] ?? NaN, trainLoss: rec.train.loss ?? NaN,
      entropy: entropy / n, topMass: top / n, unseenMass: unseen / n,
    };
    rows.push(row);
  }
  await runtime.dispose();
  await disposeRuntimes();
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const cols = ['iteration', 'J', 'reward', 'kl', 'labels', 'distinctPerPrompt', 'goldMargin', 'trainMargin', 'trainAcc', 'entropy', 'topMass', 'unseenMass'];
  const lines = [`${algorithm} seed ${seed}, ${iterations} x ${labels}, patch ${JSON.stringify(patch)}; J(pi0) ${f(summary.initial.J)}, J* ${f(Jstar)}, J of DPO's target pi0 exp(r/(T*beta)) at eta ${eta}: ${f(Jtarget)} (T ${T}); pi*: KL ${f(starKl)} entropy ${f(starEntropy)} top mass ${f(starTop)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`];
  lines.push(cols.map((c) => c.slice(0, 9).padStart(10)).join(''));
  for (const r of rows) lines.push(cols.map((c) => (c === 'iteration' || c === 'labels' ? String(r[c]) : f(r[c])).padStart(10)).join(''));
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ algorithm, seed, iterations, labels, patch, J0: summary.initial.J, Jstar, Jtarget, star: { kl: starKl, entropy: starEntropy, topMass: starTop }, rows })}\n`);
  if (!args.includes('--store')) fs.rmSync(storeDir, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
