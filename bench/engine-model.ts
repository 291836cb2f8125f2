/**
 * The model a bench preset measures: random weights of the preset's shape and a policy runtime for them.
 * GPT-2 shapes use the built-in GPT; llama / qwen2 shapes use the Hugging Face families (engine/model/README.md).
 */
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig } from '../engine/model/api';
import { initPolicy } from '../engine/model/gpt';
import { createPolicyRuntime } from '../engine/model/runtime';
import type { Preset } from './engine-presets';

export interface BenchModel {
  runtime: PolicyRuntime;
  weights: NamedTensors;
  params: number;
  /** The built-in GPT's config (uncached decoding re-runs its decode graph directly); absent for other families. */
  config?: ResolvedModelConfig;
}

export async function loadBenchModel(preset: Preset, threads: number): Promise<BenchModel> {
  const { shape } = preset;
  if (shape.family !== 'gpt2') throw new Error(`preset family '${shape.family}' is not available in this build yet`);
  const config: ResolvedModelConfig = { vocab: shape.vocab, dModel: shape.dModel, layers: shape.layers, heads: shape.heads, context: shape.context, tiedHead: shape.tiedHead };
  const weights = initPolicy(config, 0);
  let params = 0;
  for (const t of weights.values()) params += t.data.length;
  const runtime = await createPolicyRuntime(config, { provider: 'cpu', fallback: 'none', threads });
  return { runtime, weights, params, config };
}
