/**
 * AdamW + global-norm clipping as a training step applies them (adamw.ts: the norm over every gradient, then the
 * elementwise update with float32 state): several steps equal a float64 TypeScript AdamW fed the same gradients, to
 * 1e-6, with clipping on and off. The result does not depend on writing in place or on the state living in shared
 * memory; a step leaves the state it was given unchanged unless told the arrays are its own, and then writes into
 * them.
 */
import type { NamedTensors, TrainState } from '../../../engine/model/api';
import { applyAdamw, globalGradNorm } from '../../../engine/model/adamw';
import type { ParamSpec } from '../../../engine/model/gpt';
import { maxAbsDiff, ReferenceAdamW, testRandom } from './reference';

const SPECS: ParamSpec[] = [
  { name: 'a', shape: [3, 4], init: 'normal', std: 0.02, decay: true },
  { name: 'b', shape: [5], init: 'ones', std: 0, decay: false },
  { name: 'c', shape: [2, 2, 3], init: 'normal', std: 0.02, decay: true },
];
const size = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);
const hyper = { lr: 0.01, weightDecay: 0.1, maxGradNorm: 1.0 };

function tensors(make: (s: ParamSpec) => Float32Array): NamedTensors {
  return new Map(SPECS.map((s) => [s.name, { dtype: 'float32' as const, shape: s.shape, data: make(s) }]));
}

function initialState(seed: number): TrainState {
  const rand = testRandom(seed);
  return { weights: tensors((s) => Float32Array.from({ length: size(s) }, () => (rand() - 0.5) * 0.4)), m: new Map(), v: new Map(), step: 0 };
}

/** Gradients of step t: large on odd steps, small on even ones, so both sides of the clipping threshold are hit. */
function gradients(rand: () => number, step: number): Float32Array[] {
  const scale = step % 2 === 1 ? 2.0 : 0.05;
  return SPECS.map((s) => Float32Array.from({ length: size(s) }, () => (rand() - 0.5) * scale));
}

const copyOf = (state: TrainState): TrainState => {
  const c = (t: NamedTensors): NamedTensors => new Map([...t].map(([k, x]) => [k, { ...x, data: x.data.slice() }]));
  return { weights: c(state.weights), m: c(state.m), v: c(state.v), step: state.step };
};

function expectSame(a: TrainState, b: TrainState): void {
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const [name, t] of a[part]) expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b[part].get(name)!.data.buffer, b[part].get(name)!.data.byteOffset, b[part].get(name)!.data.byteLength))).toBe(true);
  }
}

function run(steps: number, inPlaceAfterFirst: boolean): { state: TrainState; norms: number[] } {
  const rand = testRandom(11);
  let state = initialState(5);
  const norms: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const out = applyAdamw(SPECS, state, gradients(rand, t), hyper, inPlaceAfterFirst && t > 1);
    norms.push(out.gradNorm);
    state = out.state;
  }
  return { state, norms };
}

test('AdamW equals a float64 TypeScript AdamW over several steps (1e-6), clipping on and off', () => {
  const rand = testRandom(11);
  let state = initialState(5);
  const initial = SPECS.map((s) => Float64Array.from(state.weights.get(s.name)!.data));
  const reference = new ReferenceAdamW(initial.map((p) => Float64Array.from(p)), SPECS.map((s) => s.decay));
  const norms: number[] = [];
  for (let t = 1; t <= 6; t++) {
    const grads = gradients(rand, t);
    const refNorm = reference.step(grads.map((g) => Float64Array.from(g)), hyper.lr, hyper.weightDecay, hyper.maxGradNorm);
    const out = applyAdamw(SPECS, state, grads, hyper, false);
    expect(out.gradNorm).toBe(refNorm); // both sum the float32 squares in float64, in the same order
    norms.push(refNorm);
    state = out.state;
    expect(state.step).toBe(t);
    SPECS.forEach((s, i) => {
      expect(maxAbsDiff(state.weights.get(s.name)!.data, reference.params[i])).toBeLessThan(1e-6);
      expect(maxAbsDiff(state.m.get(s.name)!.data, reference.m[i])).toBeLessThan(1e-6);
      expect(maxAbsDiff(state.v.get(s.name)!.data, reference.v[i])).toBeLessThan(1e-6);
    });
  }
  expect(norms.some((n) => n > hyper.maxGradNorm)).toBe(true);
  expect(norms.some((n) => n < hyper.maxGradNorm)).toBe(true);
  // Weights really moved (the comparison above is not between two unchanged copies).
  SPECS.forEach((s, i) => expect(maxAbsDiff(initial[i], state.weights.get(s.name)!.data)).toBeGreaterThan(1e-2));
});

test('the result does not depend on writing in place', () => {
  const fresh = run(4, false);
  const inPlace = run(4, true);
  expect(inPlace.norms).toEqual(fresh.norms);
  expectSame(inPlace.state, fresh.state);
});

test('a step leaves the state it was given unchanged; in place it writes into the same arrays', () => {
  const first = applyAdamw(SPECS, initialState(5), gradients(testRandom(3), 1), hyper, false);
  const before = copyOf(first.state);
  const out = applyAdamw(SPECS, first.state, gradients(testRandom(4), 1), hyper, false);
  expectSame(first.state, before); // the caller's state is as it was
  expect(maxAbsDiff(out.state.weights.get('a')!.data, before.weights.get('a')!.data)).toBeGreaterThan(1e-3);
  const again = applyAdamw(SPECS, copyOf(first.state), gradients(testRandom(4), 1), hyper, false);
  const own = copyOf(first.state);
  const inPlace = applyAdamw(SPECS, own, gradients(testRandom(4), 1), hyper, true);
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const s of SPECS) expect(inPlace.state[part].get(s.name)!.data).toBe(own[part].get(s.name)!.data);
  }
  expectSame(inPlace.state, again.state);
});

test('a state in shared memory (a compute thread\'s input) gives the same result and is not changed', () => {
  const first = applyAdamw(SPECS, initialState(5), gradients(testRandom(3), 1), hyper, false);
  const shared = (t: NamedTensors): NamedTensors => new Map([...t].map(([k, x]) => {
    const data = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
    data.set(x.data);
    return [k, { ...x, data }];
  }));
  const sharedState: TrainState = { weights: shared(first.state.weights), m: shared(first.state.m), v: shared(first.state.v), step: first.state.step };
  const before = copyOf(sharedState);
  const plain = applyAdamw(SPECS, first.state, gradients(testRandom(4), 1), hyper, false);
  const fromShared = applyAdamw(SPECS, sharedState, gradients(testRandom(4), 1), hyper, false);
  expectSame(fromShared.state, plain.state);
  expectSame(sharedState, before);
});

test('the global norm covers every parameter', () => {
  expect(globalGradNorm([Float32Array.of(3), Float32Array.of(0, 4)])).toBe(5);
});
