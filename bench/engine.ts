/**
 * Engine bench: load time, peak memory, cached decode throughput and preference-step training throughput at a model
 * shape (bench/engine-presets.ts), with achieved GFLOP/s against the GFLOP/s of a plain ORT MatMul of the step's
 * largest GEMM shape measured in the same run.
 *
 *   npm run bench:engine -- [--preset tiny|gpt2-small|smollm2-135m|qwen2.5-0.5b] [--json] [--threads N] [--pairs P]
 *                           [--steps K] [--decode-rows R] [--quick] [--no-train] [--vs-torch] [--thread]
 *
 * Phases run in this order so that the process's peak RSS after each is that phase's peak: load (random weights and
 * the runtime), the MatMul roof, `--steps` preference steps (sigmoid loss, AdamW, clipping; the first one, which
 * builds the graph and session, is timed apart), then cached decoding (R rows from a 1-token prompt, temperature 1,
 * never stopping early), at the preset's new-token count and at a quarter of it, so the cost per token as the cache
 * grows shows. "Uncached" decoding (the whole prefix re-run every token) is measured on the tiny preset only.
 * `--vs-torch` runs the same shape and workload in PyTorch eager (scripts/bench_torch.py) when Python has torch and
 * transformers (PREFLOOP_PYTHON, else python3), in its own process, and prints the ratios; skipped otherwise.
 * `--thread` hosts the runtime on a compute thread as a campaign's worker does (engine/runtime/policy-runtimes.ts):
 * weights stay resident there, a handed-over training state moves there and back, and the RSS figures, being the
 * process's, include the thread. The FLOP count is preferenceStepFlops (engine-presets.ts).
 */
import * as os from 'node:os';
import * as ort from 'onnxruntime-node';
import { createHash } from 'crypto';
import type { NamedTensors, ResolvedModelConfig, TrainState } from '../engine/model/api';
import { cacheShape } from '../engine/model/gpt';
import { getSession, releaseSessions } from '../engine/runtime/sessions';
import { matmulChainModel } from '../engine/runtime/probeModel';
import { chooseToken } from '../engine/sampling/choose';
import { rngFor } from '../engine/sampling/rng';
import { decodePeakEstimateBytes, PRESETS, preferenceStepFlops, trainPeakEstimateBytes, type Preset } from './engine-presets';
import { loadBenchModel, presetParams } from './engine-model';
import { runTorch, type TorchResult } from './engine-torch';

interface Args { json: boolean; threads: number; pairs?: number; steps: number; quick: boolean; noTrain: boolean; decodeRows?: number; preset: string; vsTorch: boolean; maxGiB: number; thread: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { json: false, threads: 1, steps: 3, quick: false, noTrain: false, preset: 'tiny', vsTorch: false, maxGiB: os.totalmem() / 2 / 2 ** 30, thread: false };
  const usage = `usage: bench/engine.ts [--preset ${Object.keys(PRESETS).join('|')}] [--json] [--threads N] [--pairs P] [--steps K] [--decode-rows R] [--quick] [--no-train] [--vs-torch] [--max-gib G] [--thread]`;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer, got ${argv[i]}`);
      return v;
    };
    if (flag === '--json') a.json = true;
    else if (flag === '--quick') a.quick = true;
    else if (flag === '--vs-torch') a.vsTorch = true;
    else if (flag === '--no-train') a.noTrain = true;
    else if (flag === '--thread') a.thread = true;
    else if (flag === '--threads') a.threads = num();
    else if (flag === '--pairs') a.pairs = num();
    else if (flag === '--steps') a.steps = num();
    else if (flag === '--decode-rows') a.decodeRows = num();
    else if (flag === '--max-gib') a.maxGiB = num();
    else if (flag === '--preset') {
      a.preset = argv[++i];
      if (!PRESETS[a.preset]) throw new Error(`unknown preset '${a.preset}'; ${usage}`);
    } else throw new Error(`unknown flag ${flag}; ${usage}`);
  }
  if (a.quick) {
    a.pairs = Math.min(a.pairs ?? 2, 2);
    a.steps = 1;
  }
  return a;
}

/** Fastest of `reps` runs: on a shared machine, slower runs measure the neighbours, not the engine. */
async function timeIt(reps: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return Math.min(...times);
}

/**
 * Wall and process CPU seconds of the fastest of `reps` runs. On a shared machine CPU seconds per token compare two
 * engines measured minutes apart more fairly than wall time (both count their own threads, spinning included).
 */
async function timeWithCpu(reps: number, f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  let best = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await f();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    if (wall < best.wall) best = { wall, cpu: (c.user + c.system) / 1e6 };
  }
  return best;
}

/**
 * GFLOP/s of one ORT MatMul [m, k] x [k, n] on the CPU provider with `threads` threads, per wall second and per
 * CPU second of this process.
 */
async function matmulRoof(m: number, k: number, n: number, threads: number): Promise<{ wall: number; cpu: number }> {
  const bytes = matmulChainModel(m, k, n, 1);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const s = await getSession(bytes, hash, { provider: 'cpu', fallback: 'none', threads });
  const r = rngFor(0, 1);
  const x = new ort.Tensor('float32', Float32Array.from({ length: m * k }, () => r.next() - 0.5), [m, k]);
  const w = new ort.Tensor('float32', Float32Array.from({ length: k * n }, () => r.next() - 0.5), [k, n]);
  await s.run({ x, w });
  // Enough repetitions for ~0.5 s of work, so the timer's resolution and noise do not matter.
  const once = await timeIt(1, () => s.run({ x, w }));
  const reps = Math.max(5, Math.min(200, Math.ceil(0.5 / Math.max(once, 1e-4))));
  const t = await timeWithCpu(1, async () => { for (let i = 0; i < reps; i++) await s.run({ x, w }); });
  return { wall: (2 * m * k * n * reps) / t.wall / 1e9, cpu: (2 * m * k * n * reps) / t.cpu / 1e9 };
}

function randomTokens(rng: ReturnType<typeof rngFor>, n: number, vocab: number): number[] {
  // Ids 0..3 are the specials of the built-in tokenizers; real text avoids them.
  return Array.from({ length: n }, () => 4 + rng.nextInt(vocab - 4));
}

/** Uncached decoding: every step re-runs the full forward over the whole prefix (empty KV cache). */
async function decodeUncached(CONFIG: ResolvedModelConfig, weights: NamedTensors, rows: number, newTokens: number, threads: number): Promise<number[][]> {
  const { buildDecodeGraph } = await import('../engine/model/graphs');
  const bytes = buildDecodeGraph(CONFIG).toBytes();
  const hash = createHash('sha256').update(bytes).digest('hex');
  const s = await getSession(bytes, hash, { provider: 'cpu', fallback: 'none', threads });
  const { heads, headDim: hd } = cacheShape(CONFIG);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of weights) feeds[name] = new ort.Tensor('float32', t.data, t.shape);
  for (let l = 0; l < CONFIG.layers; l++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [rows, heads, 0, hd]);
  }
  const rngs = Array.from({ length: rows }, (_, r) => rngFor(1, r));
  const prefixes = Array.from({ length: rows }, () => [1]);
  for (let step = 0; step < newTokens; step++) {
    const len = prefixes[0].length;
    const ids = BigInt64Array.from(prefixes.flat(), (v) => BigInt(v));
    const positions = BigInt64Array.from({ length: rows * len }, (_, i) => BigInt(i % len));
    const res = await s.run({
      ...feeds,
      input_ids: new ort.Tensor('int64', ids, [rows, len]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * len).fill(1n), [rows, len]),
      position_ids: new ort.Tensor('int64', positions, [rows, len]),
    });
    const logits = res.logits.data as Float32Array;
    for (let r = 0; r < rows; r++) {
      const at = (r * len + len - 1) * CONFIG.vocab;
      prefixes[r].push(chooseToken(logits.subarray(at, at + CONFIG.vocab), { temperature: 1, topK: 0, topP: 1 }, rngs[r]));
    }
  }
  return prefixes.map((p) => p.slice(1));
}

function fmt(x: number | null, digits = 1): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

const MiB = 1024 * 1024;
/** Peak resident set of this process so far, MiB (getrusage; never goes down). */
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const preset: Preset = PRESETS[args.preset];
  const { shape } = preset;
  const work = { ...preset.workload, pairs: args.pairs ?? preset.workload.pairs, decodeRows: args.decodeRows ?? preset.workload.decodeRows };
  if (args.quick) work.newTokens = Math.min(work.newTokens, 16);
  const missing: string[] = [];
  const rows = 2 * work.pairs;
  const seqT = work.rowTokens - 1; // packSequences: the longest row minus one
  const rssStart = process.memoryUsage().rss / MiB;
  // Refused before anything is allocated when the estimate exceeds the budget (--max-gib, default half the machine).
  const budget = args.maxGiB * 2 ** 30;
  const expectedParams = presetParams(preset);
  const trainEstimate = trainPeakEstimateBytes(expectedParams, shape, rows, seqT);
  const decodeEstimate = decodePeakEstimateBytes(expectedParams, shape, work.decodeRows, 1 + work.newTokens);
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (decodeEstimate > budget) throw new Error(`preset ${args.preset}: decoding needs about ${gib(decodeEstimate)}, over the ${gib(budget)} budget; raise --max-gib if the machine has it`);
  const train = trainEstimate <= budget && !args.noTrain;
  if (args.noTrain) missing.push('training not run: --no-train');
  else if (!train) missing.push(`training not run: a preference step needs about ${gib(trainEstimate)} (estimate, engine-presets.ts), over the ${gib(budget)} budget; raise --max-gib on a machine that has it`);

  const t0 = process.hrtime.bigint();
  const model = await loadBenchModel(preset, args.threads, args.thread ? 'worker-thread' : 'inline');
  const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const { runtime: policy, params } = model;
  const rssLoaded = process.memoryUsage().rss / MiB;

  const roofShape: [number, number, number] = [rows * seqT, shape.dModel, shape.mlp];
  const roofBefore = await matmulRoof(...roofShape, args.threads);

  const rssBeforeTrain = process.memoryUsage().rss / MiB;
  let firstStep: number | null = null;
  const stepTimes: number[] = [];
  const stepCpu: number[] = [];
  let peakTrain: number | null = null;
  if (train) {
    // Preference steps on fixed pairs: prompt, then responses filling the row.
    const rng = rngFor(2, 0);
    const prompts = Array.from({ length: work.pairs }, () => randomTokens(rng, work.promptTokens, shape.vocab));
    const chosen = prompts.map(() => randomTokens(rng, work.rowTokens - work.promptTokens, shape.vocab));
    const rejected = prompts.map(() => randomTokens(rng, work.rowTokens - work.promptTokens, shape.vocab));
    const refChosen = Array.from(await policy.sequenceLogprobs(model.weights, prompts, chosen));
    const refRejected = Array.from(await policy.sequenceLogprobs(model.weights, prompts, rejected));
    const zeros = (): NamedTensors => new Map([...model.weights].map(([k, t]) => [k, { dtype: 'float32' as const, shape: t.shape, data: new Float32Array(t.data.length) }]));
    let state: TrainState = { weights: model.weights, m: zeros(), v: zeros(), step: 0 };
    const hyper = { loss: 'sigmoid' as const, beta: 0.1, labelSmoothing: 0, lr: 1e-4, weightDecay: 0, maxGradNorm: 1 };
    const batch = { prompts, chosen, rejected, refChosen, refRejected };
    // As update() trains: one step per call (what steps-per-call.ts settles on at this size), the state handed over
    // (updated in place, no copy of it per step). Decoding below runs on the trained weights (same shapes, same
    // cost): the bench holds one model, as PyTorch trains its one copy in place.
    const train = async () => {
      state = (await policy.preferenceSteps(state, [{ batch, hyper }], { consume: true })).state;
      model.weights = state.weights;
    };
    firstStep = await timeIt(1, train); // builds the graphs and their sessions
    for (let i = 0; i < args.steps; i++) {
      const t = await timeWithCpu(1, train);
      stepTimes.push(t.wall);
      stepCpu.push(t.cpu);
    }
    peakTrain = peakRssMiB();
  }
  const step = stepTimes.length ? stats(stepTimes) : null;
  const tokens = rows * seqT;
  const flops = preferenceStepFlops(shape, rows, seqT);
  const trainTps = step ? tokens / step.median : null;
  const trainGflops = step ? flops / step.median / 1e9 : null;
  const trainGflopsCpu = stepCpu.length ? flops / stats(stepCpu).median / 1e9 : null;

  // Cached decoding at the preset's new-token count and at a quarter of it.
  const sampleOpts = (rowsN: number, n: number) => ({ temperatures: new Array(rowsN).fill(1), topK: 0, topP: 1, maxNewTokens: n, stopTokens: [], seed: 1 });
  const promptsOf = (rowsN: number) => Array.from({ length: rowsN }, () => [1]);
  const short = Math.max(2, Math.floor(work.newTokens / 4));
  // As a campaign's sampling step does, the weights are handed over (on a compute thread they move there, not a copy
  // beside the bench's), unless the uncached decoder below still reads them here.
  const handOver = { consume: !work.uncached };
  await policy.sample(model.weights, promptsOf(work.decodeRows), sampleOpts(work.decodeRows, 2), handOver); // builds the session
  const reps = args.quick ? 1 : 2;
  const decode: { rows: number; newTokens: number; cached: number; cpuPerToken: number; uncached: number | null }[] = [];
  const decodeRows = work.decodeRows === 1 ? [1] : [work.decodeRows, 1];
  for (const rowsN of decodeRows) {
    for (const n of rowsN === work.decodeRows ? [work.newTokens, short] : [work.newTokens]) {
      const t = await timeWithCpu(reps, () => policy.sample(model.weights, promptsOf(rowsN), sampleOpts(rowsN, n), handOver));
      let uncached: number | null = null;
      if (work.uncached && n === work.newTokens) {
        await decodeUncached(model.config, model.weights, 1, 4, args.threads); // session outside the timing
        uncached = (rowsN * n) / (await timeIt(Math.min(reps, 2), () => decodeUncached(model.config, model.weights, rowsN, n, args.threads)));
      }
      decode.push({ rows: rowsN, newTokens: n, cached: (rowsN * n) / t.wall, cpuPerToken: t.cpu / (rowsN * n), uncached });
    }
  }
  const main8 = decode.find((d) => d.rows === work.decodeRows && d.newTokens === work.newTokens)!;
  const short8 = decode.find((d) => d.rows === work.decodeRows && d.newTokens === short);
  await policy.dispose();
  // Measured again after training and the better kept: a neighbour's burst should not lower the roof.
  const roofAfter = await matmulRoof(...roofShape, args.threads);
  const roof = Math.max(roofBefore.wall, roofAfter.wall);
  const roofCpu = Math.max(roofBefore.cpu, roofAfter.cpu);
  await releaseSessions();

  let torch: TorchResult | null = null;
  if (args.vsTorch) {
    // PyTorch eager holds weights, gradients and both AdamW moments (16 bytes per parameter) plus the logits' chain.
    const torchEstimate = params * 16 + rows * seqT * shape.vocab * 4 * 4 + 2 ** 30;
    const room = budget - process.memoryUsage().rss;
    const r = torchEstimate > room
      ? `PyTorch's step needs about ${gib(torchEstimate)} and ${gib(room)} of the ${gib(budget)} budget is left beside this process`
      : await runTorch(preset, work, args.threads, args.steps, train);
    if (typeof r === 'string') missing.push(`--vs-torch skipped: ${r}`);
    else torch = r;
  }
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b !== 0 ? a / b : null);

  const result = {
    preset: args.preset,
    'load.seconds': loadSeconds,
    'decode.rows': work.decodeRows,
    'decode.newTokens': work.newTokens,
    'decode.tokensPerSec.cached': main8.cached,
    'decode.tokensPerSec.cached.short': short8?.cached ?? null,
    'decode.cpuSecondsPerToken': main8.cpuPerToken,
    'decode.cpuSecondsPerToken.short': short8?.cpuPerToken ?? null,
    'decode.shortNewTokens': short,
    'decode.tokensPerSec.uncached': main8.uncached,
    'decode.rows1.tokensPerSec.cached': decode.find((d) => d.rows === 1)?.cached ?? null,
    'train.pairs': work.pairs,
    'train.rowTokens': work.rowTokens,
    'train.firstStepSeconds': firstStep,
    'train.stepSeconds': step?.median ?? null,
    'train.stepSeconds.min': step?.min ?? null,
    'train.stepSeconds.max': step?.max ?? null,
    'train.stepSeconds.all': stepTimes,
    'train.tokensPerSec': trainTps,
    'train.gflops': trainGflops,
    'roof.gflops': roof,
    'roof.shape': roofShape,
    'train.roofFraction': trainGflops !== null ? trainGflops / roof : null,
    // The same fraction per CPU second (step and roof each over their own CPU time): on a shared machine the
    // neighbours slow both wall clocks at different moments, much less either's work per CPU second.
    'train.gflopsPerCpuSecond': trainGflopsCpu,
    'roof.gflopsPerCpuSecond': roofCpu,
    'train.roofFractionCpu': trainGflopsCpu !== null ? trainGflopsCpu / roofCpu : null,
    'train.peakEstimateGiB': trainEstimate / 2 ** 30,
    'rss.startMiB': rssStart,
    'rss.afterLoadMiB': rssLoaded,
    'rss.beforeTrainMiB': rssBeforeTrain,
    'rss.peakTrainMiB': peakTrain,
    'train.bytesPerParam': peakTrain !== null ? (peakTrain * MiB) / params : null,
    peakRssMiB: peakRssMiB(),
    model: { ...shape, params },
    threads: args.threads,
    torch,
    'vsTorch.decode': ratio(main8.cached, torch?.decodeTokensPerSec),
    'vsTorch.decodeCpu': ratio(torch?.decodeCpuSecondsPerToken, main8.cpuPerToken),
    'vsTorch.stepSeconds': ratio(step?.median, torch?.stepSeconds),
    'vsTorch.peakTrainRss': ratio(peakTrain, torch?.peakTrainRssMiB),
    missing,
  };
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(44)} ${v}`);
  console.log(`prefloop engine bench — preset ${args.preset}: ${shape.family}, d_model ${shape.dModel}, ${shape.layers} layers, ${shape.heads}/${shape.kvHeads} heads, MLP ${shape.mlp}, vocab ${shape.vocab}, ${params} params, ${args.threads} thread(s)`);
  line('load (random weights + runtime)', `${fmt(loadSeconds, 2)} s`);
  line(`preference step (${work.pairs} pairs x ${work.rowTokens}), first`, `${fmt(firstStep, 2)} s`);
  line(`preference step, median of ${args.steps} [min, max]`, step ? `${fmt(step.median, 2)} s [${fmt(step.min, 2)}, ${fmt(step.max, 2)}]` : 'n/a');
  line('train tokens/s', fmt(trainTps));
  line('train GFLOP/s', fmt(trainGflops, 2));
  line(`roof: ORT MatMul [${roofShape[0]}x${roofShape[1]}]x[${roofShape[1]}x${roofShape[2]}]`, `${fmt(roof, 2)} GFLOP/s`);
  line('train / roof (wall; per CPU second)', `${fmt(result['train.roofFraction'], 3)}; ${fmt(result['train.roofFractionCpu'], 3)}`);
  for (const d of decode) {
    line(`decode ${d.rows} row(s) x ${d.newTokens} new: tokens/s cached`, `${fmt(d.cached)} (${fmt(d.cpuPerToken * 1000, 1)} CPU ms/token)`);
    if (d.uncached !== null) line(`decode ${d.rows} row(s) x ${d.newTokens} new: tokens/s uncached`, `${fmt(d.uncached)} (${fmt(d.cached / d.uncached, 2)}x)`);
  }
  line('RSS after load / before training', `${fmt(rssLoaded)} / ${fmt(rssBeforeTrain)} MiB`);
  line('peak RSS through training', `${fmt(peakTrain)} MiB (${fmt(result['train.bytesPerParam'])} bytes/param; estimated ${gib(trainEstimate)})`);
  line('peak RSS (whole run)', `${fmt(result.peakRssMiB)} MiB`);
  if (torch) {
    line('torch eager: step / decode tok/s (CPU ms/token) / peak RSS', `${fmt(torch.stepSeconds, 2)} s / ${fmt(torch.decodeTokensPerSec)} (${fmt(torch.decodeCpuSecondsPerToken * 1000, 1)}) / ${fmt(torch.peakTrainRssMiB)} MiB`);
    line('prefloop / torch: step time, decode (wall, CPU), RSS', `${fmt(result['vsTorch.stepSeconds'], 2)} / ${fmt(result['vsTorch.decode'], 2)}, ${fmt(result['vsTorch.decodeCpu'], 2)} / ${fmt(result['vsTorch.peakTrainRss'], 2)}`);
  }
  for (const m of missing) console.log(`  note: ${m}`);
  if (args.json) console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
