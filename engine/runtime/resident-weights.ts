/**
 * Weights kept resident on a compute thread, so that a step calling sample / sequenceLogprobs many times with the
 * same weights copies them to the thread once, not once per call.
 *
 * The caller's side names each weights object (by identity) with an id and keeps a mirror of the thread's
 * least-recently-used set: calls reach the thread one after another in the order they were made (workerHost.ts),
 * so both sides apply the same touches and evictions and the caller knows, without asking, whether the thread
 * still holds an id. The weights go along only when it does not. Keying by identity relies on what every step
 * does: weights (a decoded checkpoint, a training step's output) are never changed in place once made.
 *
 * A caller that hands its weights over (WeightsCallOptions.consume) has them moved to the thread rather than copied;
 * its weights object, now with empty arrays, still names the resident copy, since the id goes by identity.
 *
 * Both sides drop every resident set together (release(), sent in the same order as the calls): before a training
 * call, which needs the memory and after which no step reuses weights it sampled or scored with before (update's
 * reference is scored once, before training), and when a step gives its runtime back to the cache (the next step
 * decodes its own weights, so nothing resident could be named again).
 */
import type { NamedTensors } from '../model/api';

/** Weights sets a thread keeps (a step uses at most two at once: policy and reference / pi0). */
export const RESIDENT_WEIGHTS = 4;

/** What a call sends for its weights: the id, and the tensors when the thread does not hold that id. */
export interface WeightsRef {
  id: number;
  tensors?: NamedTensors;
}

/** The least-recently-used order both sides keep; touch() returns the id that fell out, if any. */
export class ResidentOrder {
  private readonly ids: number[] = [];

  has(id: number): boolean {
    return this.ids.includes(id);
  }

  clear(): void {
    this.ids.length = 0;
  }

  touch(id: number): number | undefined {
    const at = this.ids.indexOf(id);
    if (at >= 0) this.ids.splice(at, 1);
    this.ids.push(id);
    return this.ids.length > RESIDENT_WEIGHTS ? this.ids.shift() : undefined;
  }
}

/** Whether weights' arrays were moved away (a tensor of non-zero size with no data left). */
function emptied(weights: NamedTensors): boolean {
  for (const t of weights.values()) if (t.data.length === 0 && t.shape.every((d) => d > 0)) return true;
  return false;
}

/** The caller's side: names weights and decides whether a call carries them; release() mirrors the thread's. */
export function residentSender(): { ref(weights: NamedTensors): WeightsRef; release(): void } {
  const ids = new WeakMap<NamedTensors, number>();
  const order = new ResidentOrder();
  let next = 1;
  return {
    ref(weights) {
      let id = ids.get(weights);
      if (id === undefined) {
        id = next++;
        ids.set(weights, id);
      }
      const held = order.has(id);
      // Weights handed over earlier (WeightsCallOptions.consume) left empty arrays here; once the thread has dropped
      // them there is nothing left to send.
      if (!held && emptied(weights)) {
        throw new Error('policy runtime: these weights were handed over to the compute thread ({ consume: true }), which has since dropped them (a training call, the step giving its runtime back, or more than '
          + `${RESIDENT_WEIGHTS} weights sets named since); their arrays here are empty. Load them again, or do not hand over weights that are named again after that`);
      }
      order.touch(id);
      return held ? { id } : { id, tensors: weights };
    },
    release: () => order.clear(),
  };
}

/** The thread's side: the weights a call means, stored when they came along; release() drops them all. */
export function residentStore(): { weights(ref: WeightsRef): NamedTensors; release(): void; count(): number } {
  const byId = new Map<number, NamedTensors>();
  const order = new ResidentOrder();
  const weights = (ref: WeightsRef): NamedTensors => {
    // Weights in shared memory (a caller may build them there) are copied once into this thread's memory: ORT cannot
    // read shared memory, and they are fed to every call that names them.
    if (ref.tensors) byId.set(ref.id, new Map([...ref.tensors].map(([name, t]) => [name, t.data.buffer instanceof SharedArrayBuffer ? { ...t, data: t.data.slice() } : t])));
    const held = byId.get(ref.id);
    if (!held) throw new Error(`policy thread: weights #${ref.id} are not resident (the caller's mirror is out of step); this is a bug`);
    const evicted = order.touch(ref.id);
    if (evicted !== undefined) byId.delete(evicted);
    return held;
  };
  const release = () => {
    byId.clear();
    order.clear();
  };
  return { weights, release, count: () => byId.size };
}
