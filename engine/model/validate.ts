/**
 * Checks that weights, optimizer state and hyper-parameters fit the model before any graph runs, so a
 * mismatch is a clear error naming the tensor and the fix rather than an ORT failure deep inside a session.
 */
import type { NamedTensors, ResolvedModelConfig, TrainState } from './api';
import { parameterSpecs, type Head } from './gpt';
import { InvalidInputError } from '../errors';

export function checkTensors(config: ResolvedModelConfig, tensors: NamedTensors, head: Head, what: string): void {
  if (!(tensors instanceof Map)) throw new InvalidInputError(`${what} must be a Map of parameter name -> tensor`);
  const specs = parameterSpecs(config, head);
  const expected = new Set(specs.map((s) => s.name));
  const hint = `the checkpoint must match the model config (vocab ${config.vocab}, dModel ${config.dModel}, layers ${config.layers}, heads ${config.heads}, context ${config.context}, tiedHead ${config.tiedHead})`;
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) throw new InvalidInputError(`${what}: missing tensor '${spec.name}' [${spec.shape}]; ${hint}`);
    if (t.dtype !== 'float32' || !(t.data instanceof Float32Array)) {
      throw new InvalidInputError(`${what}: tensor '${spec.name}' must be float32 (Float32Array data), got dtype ${String(t.dtype)} with ${t.data?.constructor?.name ?? typeof t.data}`);
    }
    if (!Array.isArray(t.shape) || t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new InvalidInputError(`${what}: tensor '${spec.name}' has shape [${t.shape}] but the model expects [${spec.shape}]; ${hint}`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) throw new InvalidInputError(`${what}: tensor '${spec.name}' holds ${t.data.length} values but shape [${spec.shape}] needs ${size}`);
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) throw new InvalidInputError(`${what}: unexpected tensor '${name}' that this model does not have; ${hint}`);
  }
}

export function checkTrainState(config: ResolvedModelConfig, state: TrainState, head: Head): void {
  if (!state || typeof state !== 'object') throw new InvalidInputError('train state must be an object {weights, m, v, step}');
  if (!Number.isInteger(state.step) || state.step < 0) throw new InvalidInputError(`train state: step must be a non-negative integer, got ${state.step}`);
  checkTensors(config, state.weights, head, 'weights');
  // Empty moments mean "fresh optimizer" (a weights-only checkpoint); otherwise they must match the weights.
  const fresh = state.m instanceof Map && state.v instanceof Map && state.m.size === 0 && state.v.size === 0;
  if (!fresh) {
    checkTensors(config, state.m, head, 'optimizer state m');
    checkTensors(config, state.v, head, 'optimizer state v');
  }
}

export interface OptimizerHyper { lr: number; weightDecay: number; maxGradNorm: number }

function finite(value: unknown, name: string, ok: (v: number) => boolean, rule: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw new InvalidInputError(`${name} must be ${rule}, got ${String(value)}`);
}

export function checkOptimizerHyper(h: OptimizerHyper): void {
  if (!h || typeof h !== 'object') throw new InvalidInputError('optimizer hyper-parameters must be an object {lr, weightDecay, maxGradNorm}');
  finite(h.lr, 'lr', (v) => v >= 0, 'a finite number >= 0');
  finite(h.weightDecay, 'weightDecay', (v) => v >= 0, 'a finite number >= 0');
  finite(h.maxGradNorm, 'maxGradNorm', (v) => v > 0, 'a finite number > 0');
}

export function checkPreferenceHyper(h: { beta: number; labelSmoothing: number }): void {
  finite(h.beta, 'beta', (v) => v > 0, 'a finite number > 0');
  finite(h.labelSmoothing, 'labelSmoothing', (v) => v >= 0 && v < 0.5, 'in [0, 0.5)');
}

export function checkMicroBatch(value: unknown): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) {
    throw new InvalidInputError(`microBatch must be a positive integer (rows run at once; leave it out to run the whole batch at once), got ${String(value)}`);
  }
}

export function checkNumbers(values: number[], rows: number, name: string): void {
  if (!Array.isArray(values) || values.length !== rows) throw new InvalidInputError(`${name} must hold one number per pair (${rows}), got ${Array.isArray(values) ? values.length : typeof values}`);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError(`${name}[${i}] must be a finite number, got ${String(v)}`);
  });
}
