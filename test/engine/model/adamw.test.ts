/**
 * AdamW + global-norm clipping as a training step applies them (adamw-slices.ts: the norm over every gradient, then
 * the optimizer graph run on flat slices, in float32 as in production): several steps equal a plain TypeScript AdamW
 * fed the same gradients, to 1e-6, with clipping on and off and slices that end inside tensors. The result does not
 * depend on the slice size or on the state living in shared memory; a step leaves the state it was given unchanged
 * unless told the arrays are its own, and then writes into them.
 */
import type { NamedTensors, TrainState } from '../../../engine/model/api';
import { applyAdamw, globalGradNorm } from '../../../engine/model/adamw-slices';
import type { ParamSpec } from '../../../engine/model/gpt';
import { GraphSessions } from '../../../engine/model/sessions';
import { DEFAULT_RUNTIME } from '../../../engine/runtime/sessions';
import { maxAbsDiff, ReferenceAdamW, testRandom } from './reference';

const SPECS: ParamSpec[] = [
  { name: 'a', shape: [3, 4], init: 'normal', std: 0.02, decay: true },
  { name: 'b', shape: [5], init: 'ones', std: 0, decay: false },
  { name: 'c', shape: [2, 2, 3], init: 'normal', std: 0.02, decay: true },
];
const size = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);
const sessions = new GraphSessions(DEFAULT_RUNTIME);
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

async function run(steps: number, slice: number, inPlaceAfterFirst: boolean): Promise<{ state: TrainState; norms: number[] }> {
  const rand = testRandom(11);
  let state = initialState(5);
  const norms: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const out = await applyAdamw(sessions, SPECS, state, gradients(rand, t), hyper, inPlaceAfterFirst && t > 1, slice);
    norms.push(out.gradNorm);
    state = out.state;
  }
  return { state, norms };
}

afterAll(() => sessions.clear());

test('AdamW applied in slices equals a TypeScript AdamW over several steps (1e-6), clipping on and off', async () => {
  const rand = testRandom(11);
  let state = initialState(5);
  const initial = SPECS.map((s) => Float64Array.from(state.weights.get(s.name)!.data));
  const reference = new ReferenceAdamW(initial.map((p) => Float64Array.from(p)), SPECS.map((s) => s.decay));
  const norms: number[] = [];
  for (let t = 1; t <= 6; t++) {
    const grads = gradients(rand, t);
    const refNorm = reference.step(grads.map((g) => Float64Array.from(g)), hyper.lr, hyper.weightDecay, hyper.maxGradNorm);
    // Slices of 5 floats: every tensor but the smallest is split, and slices end mid-tensor.
    const out = await applyAdamw(sessions, SPECS, state, grads, hyper, false, 5);
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

test('the result does not depend on the slice size, nor on writing in place', async () => {
  const whole = await run(4, 1 << 20, false);
  for (const [slice, inPlace] of [[1, false], [7, true], [12, true]] as const) {
    const other = await run(4, slice, inPlace);
    expect(other.norms).toEqual(whole.norms);
    expectSame(other.state, whole.state);
  }
});

test('a step leaves the state it was given unchanged; in place it writes into the same arrays', async () => {
  const first = await applyAdamw(sessions, SPECS, initialState(5), gradients(testRandom(3), 1), hyper, false);
  const before = copyOf(first.state);
  const out = await applyAdamw(sessions, SPECS, first.state, gradients(testRandom(4), 1), hyper, false);
  expectSame(first.state, before); // the caller's state is as it was
  expect(maxAbsDiff(out.state.weights.get('a')!.data, before.weights.get('a')!.data)).toBeGreaterThan(1e-3);
  const again = await applyAdamw(sessions, SPECS, copyOf(first.state), gradients(testRandom(4), 1), hyper, false);
  const own = copyOf(first.state);
  const inPlace = await applyAdamw(sessions, SPECS, own, gradients(testRandom(4), 1), hyper, true);
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const s of SPECS) expect(inPlace.state[part].get(s.name)!.data).toBe(own[part].get(s.name)!.data);
  }
  expectSame(inPlace.state, again.state);
});

test('a state in shared memory (a compute thread\'s input) gives the same result and is not changed', async () => {
  const first = await applyAdamw(sessions, SPECS, initialState(5), gradients(testRandom(3), 1), hyper, false);
  const shared = (t: NamedTensors): NamedTensors => new Map([...t].map(([k, x]) => {
    const data = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
    data.set(x.data);
    return [k, { ...x, data }];
  }));
  const sharedState: TrainState = { weights: shared(first.state.weights), m: shared(first.state.m), v: shared(first.state.v), step: first.state.step };
  const before = copyOf(sharedState);
  const plain = await applyAdamw(sessions, SPECS, first.state, gradients(testRandom(4), 1), hyper, false, 5);
  const fromShared = await applyAdamw(sessions, SPECS, sharedState, gradients(testRandom(4), 1), hyper, false, 5);
  expectSame(fromShared.state, plain.state);
  expectSame(sharedState, before);
});

test('the global norm covers every parameter', () => {
  expect(globalGradNorm([Float32Array.of(3), Float32Array.of(0, 4)])).toBe(5);
});
