/**
 * The model a bench preset measures: random weights of the preset's shape (hfConfigFromJson of its config.json
 * fields, then initPolicy, as engine/model/README.md describes) and a policy runtime for them: in this thread, or
 * ('worker-thread', bench --thread) on a compute thread as a campaign's worker runs it, training states then coming
 * back in shared memory.
 */
import { hfConfigFromJson } from '../engine/checkpoint/hf-config';
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig } from '../engine/model/api';
import { initPolicy, parameterSpecs } from '../engine/model/gpt';
import { createPolicyRuntime } from '../engine/model/runtime';
import type { ComputePlacement } from '../engine/runtime/compute-placement';
import { threadPolicyRuntime } from '../engine/runtime/policy-runtimes';
import type { Preset } from './engine-presets';

export interface BenchModel {
  runtime: PolicyRuntime;
  weights: NamedTensors;
  params: number;
  config: ResolvedModelConfig;
}

export async function loadBenchModel(preset: Preset, threads: number, placement: ComputePlacement = 'inline'): Promise<BenchModel> {
  const config = hfConfigFromJson(preset.hf, `preset config`);
  const weights = initPolicy(config, 0);
  let params = 0;
  for (const t of weights.values()) params += t.data.length;
  const options = { provider: 'cpu' as const, fallback: 'none' as const, threads };
  const runtime = placement === 'worker-thread' ? await threadPolicyRuntime(config, options) : await createPolicyRuntime(config, options);
  return { runtime, weights, params, config };
}

/** The preset's parameter count, from its config alone (nothing allocated). */
export function presetParams(preset: Preset): number {
  return parameterSpecs(hfConfigFromJson(preset.hf, 'preset config'), 'lm').reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}
