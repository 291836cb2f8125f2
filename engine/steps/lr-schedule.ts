/** Learning rate at optimizer step s (0-based) of `total`: linear warm-up, then constant, cosine or linear decay to 0. */
import { InvalidInputError } from '../errors';
export type Schedule = 'constant' | 'cosine' | 'linear';

export function learningRate(base: number, schedule: Schedule, warmupFraction: number, step: number, total: number): number {
  const warmup = Math.ceil(warmupFraction * total);
  if (step < warmup) return (base * (step + 1)) / warmup;
  if (schedule === 'constant') return base;
  const progress = total - warmup <= 1 ? 0 : (step - warmup) / (total - warmup);
  if (schedule === 'cosine') return base * 0.5 * (1 + Math.cos(Math.PI * progress));
  if (schedule === 'linear') return base * (1 - progress);
  throw new InvalidInputError(`update.schedule: unknown schedule '${String(schedule)}'; use constant, cosine or linear`);
}
