/**
 * Fidelity bench: every algorithm of PAPER.md on the enumerable bandit at equal preference-label budget, for
 * several seeds, scored by the exact J = E[r] - eta*KL(pi||pi0) and its gap to J(pi*) = eta*E_x log Z(x); plus
 * online vs offline DPO on the text task (sampled KL with standard error).
 *
 *   npm run bench:fidelity -- [--json] [--seeds N] [--quick] [--store DIR] [--no-text]
 *     [--iterations T] [--labels L] [--lr X] [--epochs E] [--labeler bt-oracle|gold] [--oracle-temperature T] [--candidates N] [--accepted K]
 *     [--algorithms a,b]
 *
 * Equal budget: every algorithm may spend LABELS preference labels per iteration for ITERATIONS iterations.
 * Hybrid's D_off is paid out of the same total: D_off and each of its iterations get T*LABELS/(T+1) labels.
 * Samples are free (the policy generates them); labels are what is counted. Prompts per iteration exceed the
 * label budget so that ties (identical responses) and rejection sampling do not leave a method short of pairs.
 * The last line is one JSON object: {"task":"bandit","Jstar","J0","results":[{algorithm,seed,J,gap,reward,kl,labels}],"text":[...]}.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALGORITHMS, type Algorithm, type CampaignSpecInput } from '../schemas/campaign';
import type { CampaignSummary } from '../schemas/results';
import { LocalArtifactStore } from '../store/local';
import { runCampaign } from '../engine/runner';
import { disposeRuntimes } from '../engine/steps';
import { VERBOSITY_BONUS } from '../engine/tasks/text';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 && args[i + 1] ? args[i + 1] : fallback; };
const json = flag('json');
const quick = flag('quick');
const seeds = Number(option('seeds', quick ? '1' : '5'));
const storeDir = option('store', fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-fidelity-')));

const ITERATIONS = Number(option('iterations', '3'));
const LABELS = Number(option('labels', '128'));
const LR = Number(option('lr', '3e-3'));
const EPOCHS = Number(option('epochs', '2'));
const CANDIDATES = Number(option('candidates', '16'));
const ACCEPTED = Number(option('accepted', '8'));
const ORACLE_TEMPERATURE = Number(option('oracle-temperature', '0.25'));
/** 'bt-oracle' (simulated human) or 'gold' (the task's reward as a noiseless labeler). */
const LABELER = option('labeler', 'bt-oracle');
const rewardSource = () => (LABELER === 'gold' ? { kind: 'gold' as const } : { kind: 'bt-oracle' as const, temperature: ORACLE_TEMPERATURE });
const only = option('algorithms', '').split(',').filter(Boolean) as Algorithm[];
const BANDIT_ALGORITHMS = only.length ? only : [...ALGORITHMS];

function banditSpec(algorithm: Algorithm, seed: number): CampaignSpecInput {
  const hybridLabels = Math.floor((ITERATIONS * LABELS) / (ITERATIONS + 1));
  return {
    name: `bandit-${algorithm}-s${seed}`,
    algorithm,
    iterations: ITERATIONS,
    seed,
    policy: { source: 'builtin', model: { dModel: 32, layers: 2, heads: 2, context: 8 } },
    task: { name: 'bandit', vocab: 4, promptLength: 3, responseLength: 4, trainPrompts: 512, evalPrompts: 32, featureDim: 8, rewardScale: 1, sft: { steps: 300, lr: 1e-2, batchSize: 32 } },
    reward: { source: rewardSource() },
    sampling: { promptsPerIteration: Math.ceil(1.5 * LABELS), n: 8, temperatures: [1.0, 0.7] },
    pairs: { strategy: 'max_min' },
    rejectionSampling: { candidates: CANDIDATES, accepted: ACCEPTED, etaSchedule: [1.0, 0.3, 0.1] },
    update: { beta: 0.1, lr: LR, epochs: EPOCHS, batchSize: 16, schedule: 'cosine', warmup: 0.03, checkpointEvery: 1000 },
    evaluation: { prompts: 32, exact: true },
    budget: { labelsPerIteration: algorithm === 'hybrid' ? hybridLabels : LABELS },
    offline: { prompts: algorithm === 'hybrid' ? hybridLabels : 0 },
  };
}

function textSpec(algorithm: Algorithm, seed: number, lengthPenalty: number): CampaignSpecInput {
  return {
    name: `text-${algorithm}-s${seed}-lp${lengthPenalty}`,
    algorithm,
    iterations: ITERATIONS,
    seed,
    policy: { source: 'builtin', model: { dModel: 32, layers: 2, heads: 2, context: 24 } },
    task: { name: 'text', trainPrompts: 512, evalPrompts: 32, maxResponseWords: 8, sft: { steps: 300, lr: 1e-2, batchSize: 32 } },
    reward: { source: rewardSource(), lengthPenalty },
    sampling: { promptsPerIteration: Math.ceil(1.5 * LABELS), n: 8, temperatures: [1.0, 0.7], maxNewTokens: 9 },
    update: { beta: 0.1, lr: LR, epochs: EPOCHS, batchSize: 16, checkpointEvery: 1000 },
    evaluation: { prompts: 32, samplesPerPrompt: 8, exact: false },
    budget: { labelsPerIteration: LABELS },
  };
}

/** A campaign id per spec, so a store reused with other settings never returns another run's steps. */
const campaignId = (spec: CampaignSpecInput) => `${spec.name}-${createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 10)}`;

const pad = (s: string | number, n: number) => String(s).padStart(n);
const f = (x: number | undefined, d = 3) => (x === undefined ? '-' : x.toFixed(d));

async function main(): Promise<void> {
  const store = new LocalArtifactStore(storeDir);
  const started = Date.now();
  const log = (line: string) => { if (!json) process.stderr.write(`${line}\n`); };
  const rows: Array<{ algorithm: Algorithm; seed: number; summary: CampaignSummary }> = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (const algorithm of BANDIT_ALGORITHMS) {
      const t0 = Date.now();
      const summary = await runCampaign(banditSpec(algorithm, seed), { store, campaign: campaignId(banditSpec(algorithm, seed)) });
      rows.push({ algorithm, seed, summary });
      log(`bandit ${algorithm} seed ${seed}: J ${f(summary.iterations.at(-1)!.eval.J)} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
  }
  const textRows: Array<{ algorithm: Algorithm; seed: number; lengthPenalty: number; summary: CampaignSummary }> = [];
  const textRuns = flag('no-text') ? [] : [['online-iterative-dpo', VERBOSITY_BONUS], ['offline-dpo', VERBOSITY_BONUS], ['online-iterative-dpo', 0]] as const;
  for (const [algorithm, lengthPenalty] of textRuns) {
    const summary = await runCampaign(textSpec(algorithm, 0, lengthPenalty), { store, campaign: campaignId(textSpec(algorithm, 0, lengthPenalty)) });
    textRows.push({ algorithm, seed: 0, lengthPenalty, summary });
    log(`text ${algorithm} (length penalty ${lengthPenalty}): J ${f(summary.iterations.at(-1)!.eval.J)}`);
  }
  await disposeRuntimes();

  const results = rows.map(({ algorithm, seed, summary }) => {
    const e = summary.iterations.at(-1)!.eval;
    return { algorithm, seed, J: e.J, gap: e.gap!, reward: e.reward, kl: e.kl, labels: summary.labels, winRate: e.winRateVsInitial, J0: summary.initial.J, Jstar: summary.initial.Jstar! };
  });
  const text = textRows.map(({ algorithm, seed, lengthPenalty, summary }) => {
    const e = summary.iterations.at(-1)!.eval;
    return { algorithm, seed, lengthPenalty, J: e.J, reward: e.reward, kl: e.kl, klStderr: e.klStderr, labels: summary.labels, winRate: e.winRateVsInitial, length: e.responseLength, J0: summary.initial.J, length0: summary.initial.responseLength };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const Jstar = mean(results.filter((r) => r.algorithm === BANDIT_ALGORITHMS[0]).map((r) => r.Jstar));
  const J0 = mean(results.filter((r) => r.algorithm === BANDIT_ALGORITHMS[0]).map((r) => r.J0));

  const lines: string[] = [];
  lines.push(`bandit (exact): ${ITERATIONS} iterations x ${LABELS} labels, ${seeds} seed(s), eta 0.1; J(pi*) ${f(Jstar)}, J(pi0) ${f(J0)} (means over seeds)`);
  lines.push(`${'algorithm'.padEnd(22)}${pad('J', 8)}${pad('gap', 8)}${pad('reward', 8)}${pad('KL', 8)}${pad('win', 7)}${pad('labels', 8)}   J per seed`);
  for (const algorithm of BANDIT_ALGORITHMS) {
    const rs = results.filter((r) => r.algorithm === algorithm);
    lines.push(`${algorithm.padEnd(22)}${pad(f(mean(rs.map((r) => r.J))), 8)}${pad(f(mean(rs.map((r) => r.gap))), 8)}${pad(f(mean(rs.map((r) => r.reward))), 8)}${pad(f(mean(rs.map((r) => r.kl))), 8)}${pad(f(mean(rs.map((r) => r.winRate)), 2), 7)}${pad(mean(rs.map((r) => r.labels)).toFixed(0), 8)}   ${rs.map((r) => f(r.J)).join(' ')}`);
  }
  // Per-seed comparisons the paper makes: online vs the offline baselines in J; multi-step RS vs RSO on the
  // reward-KL plane (dominates = at least the reward at no more KL, one of them strictly).
  const bySeed = (algorithm: Algorithm, seed: number) => results.find((r) => r.algorithm === algorithm && r.seed === seed);
  const count = (a: Algorithm, b: Algorithm, better: (x: typeof results[number], y: typeof results[number]) => boolean) => {
    let k = 0, n = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const x = bySeed(a, seed), y = bySeed(b, seed);
      if (x && y) { n++; if (better(x, y)) k++; }
    }
    return n ? `${k}/${n} seeds` : 'not run';
  };
  const higherJ = (x: { J: number }, y: { J: number }) => x.J > y.J;
  const dominates = (x: { reward: number; kl: number }, y: { reward: number; kl: number }) => x.reward >= y.reward && x.kl <= y.kl && (x.reward > y.reward || x.kl < y.kl);
  lines.push('');
  lines.push(`online-iterative-dpo has higher J than offline-dpo in ${count('online-iterative-dpo', 'offline-dpo', higherJ)}, than rso in ${count('online-iterative-dpo', 'rso', higherJ)}`);
  lines.push(`offline-multistep-rs has higher J than rso in ${count('offline-multistep-rs', 'rso', higherJ)}; dominates it on reward-KL in ${count('offline-multistep-rs', 'rso', dominates)}`);
  lines.push('');
  lines.push(`text (sampled KL +- stderr), seed 0: J(pi0) ${f(text[0]?.J0)}, pi0 length ${f(text[0]?.length0, 2)} words`);
  for (const t of text) lines.push(`${t.algorithm.padEnd(22)} lambda ${t.lengthPenalty}  J ${f(t.J)}  reward ${f(t.reward)}  KL ${f(t.kl)} +- ${f(t.klStderr)}  win ${f(t.winRate, 2)}  length ${f(t.length, 2)}  labels ${t.labels}`);
  lines.push(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({
    task: 'bandit', Jstar, J0,
    results: results.map(({ algorithm, seed, J, gap, reward, kl, labels }) => ({ algorithm, seed, J, gap, reward, kl, labels })),
    text: text.map(({ algorithm, seed, lengthPenalty, J, reward, kl, klStderr, labels, length }) => ({ algorithm, seed, lengthPenalty, J, reward, kl, klStderr, labels, length })),
  })}\n`);
  if (!option('store', '')) fs.rmSync(storeDir, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
