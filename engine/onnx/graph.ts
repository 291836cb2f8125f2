/**
 * Graph builder: every op method appends one tape entry (ONNX node + static output shapes + backward rule)
 * and returns Tensor handles. Backward rules sit next to their forward and emit ordinary ONNX ops into the
 * same graph (see autodiff.ts for the reverse sweep).
 */
import { createHash } from 'crypto';
import { gradients } from './autodiff';
import type { AttrValue, TensorData } from './proto';
import { ELEM, encodeValues, serializeGraph, type ConstValues } from './serialize';
import { broadcastShapes, Dim, DType, fmtShape, invertPerm, isFloat, isUnknown, normAxes, normAxis, numel } from './shape';

export type { Dim, DType } from './shape';
export { DEFAULT_OPSET } from './serialize';
export type Operand = Tensor | number;

/**
 * ONNX Runtime 1.30 CPU kernels that lack float64; in float64 graphs these ops are decomposed into
 * primitives that have float64 kernels (probed against onnxruntime-node 1.30: every other op used here has one).
 */
export const F64_MISSING = new Set<string>(['Softplus']);


export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Dim[],
  ) {}
  get rank(): number {
    return this.shape.length;
  }
}

/** Maps output gradients (null where none reached this node) to input gradients; only `needs[i]` must be filled. */
export type Backward = (grads: (Tensor | null)[], needs: boolean[]) => (Tensor | null)[];

export interface TapeEntry {
  op: string;
  domain?: string;
  inputs: (Tensor | null)[];
  outputs: Tensor[];
  attrs: Record<string, AttrValue>;
  backward?: Backward;
  /** The op is deliberately not differentiated (stopGradient, comparisons); gradients end here. */
  nograd?: boolean;
  /**
   * A fused-gradient marker, not serialized: its outputs were computed by earlier nodes from
   * stopGradient'ed copies of its inputs, and its backward rule replaces theirs (see Graph.fused).
   */
  virtual?: boolean;
}

const aInt = (value: number): AttrValue => ({ kind: 'int', value });
const aInts = (value: number[]): AttrValue => ({ kind: 'ints', value });
const aFloat = (value: number): AttrValue => ({ kind: 'float', value });
const aStr = (value: string): AttrValue => ({ kind: 'string', value });

export class Graph {
  readonly tape: TapeEntry[] = [];
  private readonly graphInputs: Tensor[] = [];
  private readonly graphOutputs: Tensor[] = [];
  private readonly initializers: TensorData[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<string, Tensor>();
  /** Values of small integer constants, so shapes given as constant tensors stay static. */
  private readonly intValues = new Map<string, number[]>();
  private counter = 0;
  private unknowns = 0;

  constructor(readonly name = 'prefloop') {}

  // ---------------------------------------------------------------- bookkeeping

  private fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  private claim(name: string, what: string): void {
    if (!name) throw new Error(`${what}: name must be a non-empty string`);
    if (this.names.has(name)) throw new Error(`${what}: name '${name}' is already used in graph '${this.name}'; pick a unique name`);
    this.names.add(name);
  }

  unknownDim(): Dim {
    return `?${this.unknowns++}`;
  }

  /** Records one node; returns its outputs. */
  emit(op: string, inputs: (Tensor | null)[], outs: [DType, Dim[]][], attrs: Record<string, AttrValue> = {}, backward?: Backward, nograd = false): Tensor[] {
    for (const t of inputs) if (t && t.graph !== this) throw new Error(`${op}: tensor '${t.name}' belongs to another graph`);
    const outputs = outs.map(([dtype, shape]) => new Tensor(this, this.fresh(op), dtype, shape));
    this.tape.push({ op, inputs, outputs, attrs, backward, nograd });
    return outputs;
  }

  private node(op: string, inputs: (Tensor | null)[], dtype: DType, shape: Dim[], attrs: Record<string, AttrValue> = {}, backward?: Backward): Tensor {
    return this.emit(op, inputs, [[dtype, shape]], attrs, backward, !backward)[0];
  }

  /** Tensors that are constant (initializers) or derived only from shapes/ints never need gradients. */
  private lift(x: Operand, like: Tensor): Tensor {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : x;
  }

  private pair(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
    if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a Tensor`);
    const A = typeof a === 'number' ? this.lift(a, b as Tensor) : a;
    const B = typeof b === 'number' ? this.lift(b, A) : b;
    if (A.dtype !== B.dtype) {
      throw new Error(`${op}: dtype mismatch: '${A.name}' is ${A.dtype} but '${B.name}' is ${B.dtype}; cast one operand with graph.cast()`);
    }
    return [A, B];
  }

  private requireFloat(op: string, ...xs: Tensor[]): void {
    for (const x of xs) if (!isFloat(x.dtype)) throw new Error(`${op}: '${x.name}' is ${x.dtype}; this op needs float32 or float64`);
  }

  // ---------------------------------------------------------------- inputs, constants, outputs

  input(name: string, dtype: DType, shape: Dim[]): Tensor {
    this.claim(name, 'input');
    for (const d of shape) {
      if (typeof d === 'number' ? !(Number.isInteger(d) && d >= 0) : d === '' || isUnknown(d)) {
        throw new Error(`input '${name}': bad dim ${JSON.stringify(d)} in ${fmtShape(shape)}; use a non-negative integer or a symbolic name`);
      }
    }
    const t = new Tensor(this, name, dtype, [...shape]);
    this.graphInputs.push(t);
    return t;
  }

  /** A differentiable weight: a graph input (not an initializer) so one session serves every training step. */
  param(name: string, shape: Dim[], dtype: 'float32' | 'float64' = 'float32'): Tensor {
    return this.input(name, dtype, shape);
  }

  constant(values: ConstValues, dtype: DType, shape?: number[]): Tensor {
    const { raw, count, nums } = encodeValues(values, dtype);
    const dims = shape ?? (typeof values === 'number' ? [] : [count]);
    if (numel(dims) !== count) throw new Error(`constant: ${count} values do not fill shape ${fmtShape(dims)}`);
    const name = this.fresh('const');
    this.initializers.push({ name, elemType: ELEM[dtype], dims, raw });
    if (nums && count <= 64) this.intValues.set(name, nums);
    return new Tensor(this, name, dtype, dims);
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalars.get(key);
    if (!t) {
      t = this.constant(value, dtype, []);
      this.scalars.set(key, t);
    }
    return t;
  }

  private readonly intCache = new Map<string, Tensor>();

  /** A 1-D int64 constant (shapes, axes, pads), shared between uses. */
  ints(values: number[]): Tensor {
    const key = values.join(',');
    let t = this.intCache.get(key);
    if (!t) {
      t = this.constant(values, 'int64', [values.length]);
      this.intCache.set(key, t);
    }
    return t;
  }

  /** Known values of an int constant tensor, or null. */
  intConstant(t: Tensor): number[] | null {
    return this.intValues.get(t.name) ?? null;
  }

  output(t: Tensor, name: string): void {
    if (t.graph !== this) throw new Error(`output '${name}': tensor '${t.name}' belongs to another graph`);
    this.claim(name, 'output');
    const out = new Tensor(this, name, t.dtype, t.shape);
    this.tape.push({ op: 'Identity', inputs: [t], outputs: [out], attrs: {}, backward: ([g]) => [g] });
    this.graphOutputs.push(out);
  }

  get inputs(): readonly Tensor[] {
    return this.graphInputs;
  }
  get outputs(): readonly Tensor[] {
    return this.graphOutputs;
  }

  /**
   * Compute `forward` from non-differentiable copies of `inputs`, and differentiate the result with the
   * hand-written `backward` instead of through forward's primitives: one rule, fewer backward ops.
   */
  fused(name: string, inputs: Tensor[], forward: (xs: Tensor[]) => Tensor, backward: (g: Tensor, y: Tensor, needs: boolean[]) => (Tensor | null)[]): Tensor {
    const y = forward(inputs.map((x) => this.stopGradient(x)));
    this.tape.push({ op: name, inputs, outputs: [y], attrs: {}, virtual: true, backward: ([g], needs) => backward(g!, y, needs) });
    return y;
  }

  /**
   * x again, bit for bit (two exact negations), as a node of its own. A backward rule that recomputes a forward
   * intermediate (to not keep it alive from forward to backward) starts from distinct(input): ORT's
   * common-subexpression elimination would otherwise merge the recomputation into the forward op it repeats, and the
   * forward's output would stay alive after all.
   */
  distinct(x: Tensor): Tensor {
    return this.node('Neg', [this.node('Neg', [x], x.dtype, x.shape)], x.dtype, x.shape);
  }

  // ---------------------------------------------------------------- shape plumbing used by backward rules

  shapeOf(x: Tensor): Tensor {
    return this.node('Shape', [x], 'int64', [x.rank]);
  }

  /** Zeros with x's (run-time) shape and dtype. */
  zerosLike(x: Tensor): Tensor {
    if (numel(x.shape) !== null) return this.constantOfShape(this.ints(x.shape as number[]), 0, x.dtype, x.shape);
    return this.constantOfShape(this.shapeOf(x), 0, x.dtype, x.shape);
  }

  constantOfShape(shape: Tensor, value: number, dtype: DType, staticShape?: Dim[]): Tensor {
    const { raw } = encodeValues(value, dtype);
    const len = shape.shape[0];
    if (shape.rank !== 1 || typeof len !== 'number') throw new Error(`constantOfShape: shape tensor must be 1-D with a fixed length, got ${fmtShape(shape.shape)}`);
    const dims = staticShape ?? this.intConstant(shape) ?? Array.from({ length: len }, () => this.unknownDim());
    return this.node('ConstantOfShape', [shape], dtype, dims, { value: { kind: 'tensor', value: { name: 'value', elemType: ELEM[dtype], dims: [1], raw } } });
  }

  /** Sum a broadcast gradient back down to `target` (see shape.ts for the broadcasting rule). */
  sumToShape(g: Tensor, target: Dim[]): Tensor {
    let t = g;
    const lead = g.rank - target.length;
    if (lead < 0) throw new Error(`sumToShape: gradient of rank ${g.rank} cannot reduce to rank ${target.length}`);
    if (lead > 0) t = this.reduceSum(t, Array.from({ length: lead }, (_, i) => i), false);
    const axes: number[] = [];
    target.forEach((d, i) => {
      if (d === 1 && t.shape[i] !== 1) axes.push(i);
    });
    if (axes.length) t = this.reduceSum(t, axes, true);
    return t;
  }

  /** Reshape to another tensor's run-time shape (static dims given). */
  private reshapeLike(x: Tensor, like: Tensor): Tensor {
    const shape = numel(like.shape) !== null ? this.ints(like.shape as number[]) : this.shapeOf(like);
    return this.node('Reshape', [x, shape], x.dtype, like.shape, {}, ([g]) => [this.reshapeLike(g!, x), null]);
  }

  private expandTo(x: Tensor, shape: Tensor, staticShape: Dim[]): Tensor {
    return this.node('Expand', [x, shape], x.dtype, staticShape, {}, ([g]) => [this.sumToShape(g!, x.shape), null]);
  }

  // ---------------------------------------------------------------- elementwise binary

  private binary(op: string, a: Operand, b: Operand, bw: (g: Tensor, A: Tensor, B: Tensor, y: Tensor, needs: boolean[]) => [Tensor | null, Tensor | null]): Tensor {
    const method = methodName(op);
    const [A, B] = this.pair(method, a, b);
    this.requireFloat(method, A);
    const shape = broadcastShapes(method, [A.shape, B.shape]);
    const y: Tensor = this.node(op, [A, B], A.dtype, shape, {}, ([g], needs) => {
      const [ga, gb] = bw(g!, A, B, y, needs);
      return [needs[0] && ga ? this.sumToShape(ga, A.shape) : null, needs[1] && gb ? this.sumToShape(gb, B.shape) : null];
    });
    return y;
  }

  add(a: Operand, b: Operand): Tensor {
    return this.binary('Add', a, b, (g) => [g, g]);
  }

  sub(a: Operand, b: Operand): Tensor {
    return this.binary('Sub', a, b, (g, _A, _B, _y, needs) => [g, needs[1] ? this.neg(g) : null]);
  }

  mul(a: Operand, b: Operand): Tensor {
    return this.binary('Mul', a, b, (g, A, B, _y, needs) => [needs[0] ? this.mul(g, B) : null, needs[1] ? this.mul(g, A) : null]);
  }

  div(a: Operand, b: Operand): Tensor {
    // d(a/b)/db = -a/b^2 = -y/b
    return this.binary('Div', a, b, (g, _A, B, y, needs) => [needs[0] ? this.div(g, B) : null, needs[1] ? this.neg(this.div(this.mul(g, y), B)) : null]);
  }

  pow(a: Operand, b: Operand): Tensor {
    return this.binary('Pow', a, b, (g, A, B, y, needs) => [
      needs[0] ? this.mul(g, this.mul(B, this.pow(A, this.sub(B, 1)))) : null,
      needs[1] ? this.mul(g, this.mul(y, this.log(A))) : null,
    ]);
  }

  max(a: Operand, b: Operand): Tensor {
    // Ties send the gradient to `a`.
    return this.binary('Max', a, b, (g, A, B) => {
      const aWins = this.greaterOrEqual(A, B);
      const zero = this.scalar(0, g.dtype);
      return [this.where(aWins, g, zero), this.where(aWins, zero, g)];
    });
  }

  min(a: Operand, b: Operand): Tensor {
    return this.binary('Min', a, b, (g, A, B) => {
      const aWins = this.lessOrEqual(A, B);
      const zero = this.scalar(0, g.dtype);
      return [this.where(aWins, g, zero), this.where(aWins, zero, g)];
    });
  }

  // ---------------------------------------------------------------- elementwise unary

  private unary(op: string, x: Tensor, bw: (g: Tensor, y: Tensor) => Tensor, attrs: Record<string, AttrValue> = {}): Tensor {
    this.requireFloat(op, x);
    const y: Tensor = this.node(op, [x], x.dtype, x.shape, attrs, ([g]) => [bw(g!, y)]);
    return y;
  }

  neg(x: Tensor): Tensor {
    return this.unary('Neg', x, (g) => this.neg(g));
  }

  exp(x: Tensor): Tensor {
    return this.unary('Exp', x, (g, y) => this.mul(g, y));
  }

  log(x: Tensor): Tensor {
    return this.unary('Log', x, (g) => this.div(g, x));
  }

  sqrt(x: Tensor): Tensor {
    return this.unary('Sqrt', x, (g, y) => this.div(this.mul(g, 0.5), y));
  }

  sin(x: Tensor): Tensor {
    return this.unary('Sin', x, (g) => this.mul(g, this.cos(x)));
  }

  cos(x: Tensor): Tensor {
    return this.unary('Cos', x, (g) => this.neg(this.mul(g, this.sin(x))));
  }

  tanh(x: Tensor): Tensor {
    return this.unary('Tanh', x, (g, y) => this.mul(g, this.sub(1, this.mul(y, y))));
  }

  sigmoid(x: Tensor): Tensor {
    return this.unary('Sigmoid', x, (g, y) => this.mul(g, this.mul(y, this.sub(1, y))));
  }

  relu(x: Tensor): Tensor {
    return this.unary('Relu', x, (g) => this.where(this.greater(x, 0), g, this.scalar(0, g.dtype)));
  }

  abs(x: Tensor): Tensor {
    return this.unary('Abs', x, (g) => this.mul(g, this.node('Sign', [x], x.dtype, x.shape)));
  }

  /** log(1 + exp(x)), stable for large |x|. */
  softplus(x: Tensor): Tensor {
    if (x.dtype === 'float64' && F64_MISSING.has('Softplus')) {
      // relu(x) + log(1 + exp(-|x|)): no overflow for large |x|.
      return this.add(this.relu(x), this.log(this.add(this.exp(this.neg(this.abs(x))), 1)));
    }
    return this.unary('Softplus', x, (g) => this.mul(g, this.sigmoid(x)));
  }

  /** log(sigmoid(x)) = -softplus(-x). */
  logSigmoid(x: Tensor): Tensor {
    return this.neg(this.softplus(this.neg(x)));
  }

  /** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  gelu(x: Tensor): Tensor {
    this.requireFloat('gelu', x);
    const c = Math.sqrt(2 / Math.PI);
    const a = 0.044715;
    let x2!: Tensor;
    let t!: Tensor;
    return this.fused('gelu', [x], ([xd]) => {
      x2 = this.mul(xd, xd);
      t = this.tanh(this.mul(this.mul(xd, this.add(this.mul(x2, a), 1)), c));
      return this.mul(this.mul(xd, 0.5), this.add(t, 1));
    }, (g) => {
      // dy/dx = 0.5 (1 + t) + x (1 - t^2) (0.5 c + 1.5 a c x^2)
      const dt = this.sub(1, this.mul(t, t));
      const inner = this.add(this.mul(x2, 1.5 * a * c), 0.5 * c);
      const dydx = this.add(this.add(this.mul(t, 0.5), 0.5), this.mul(this.mul(inner, x), dt));
      return [this.mul(g, dydx)];
    });
  }

  clip(x: Tensor, lo?: number, hi?: number): Tensor {
    this.requireFloat('clip', x);
    const min = lo === undefined ? null : this.scalar(lo, x.dtype);
    const max = hi === undefined ? null : this.scalar(hi, x.dtype);
    return this.node('Clip', [x, min, max], x.dtype, x.shape, {}, ([g]) => {
      let inside: Tensor | null = null;
      if (min) inside = this.greaterOrEqual(x, min);
      if (max) {
        const below = this.lessOrEqual(x, max);
        inside = inside ? this.and(inside, below) : below;
      }
      return [inside ? this.where(inside, g!, this.scalar(0, g!.dtype)) : g, null, null];
    });
  }

  /** Identity whose gradient is zero: the value is treated as a constant by grad(). */
  stopGradient(x: Tensor): Tensor {
    return this.node('Identity', [x], x.dtype, x.shape);
  }

  identity(x: Tensor): Tensor {
    return this.node('Identity', [x], x.dtype, x.shape, {}, ([g]) => [g]);
  }

  // ---------------------------------------------------------------- comparisons and selection (no gradient)

  private compare(op: string, a: Operand, b: Operand): Tensor {
    const method = methodName(op);
    const [A, B] = this.pair(method, a, b);
    return this.node(op, [A, B], 'bool', broadcastShapes(method, [A.shape, B.shape]));
  }

  equal(a: Operand, b: Operand): Tensor {
    return this.compare('Equal', a, b);
  }
  less(a: Operand, b: Operand): Tensor {
    return this.compare('Less', a, b);
  }
  lessOrEqual(a: Operand, b: Operand): Tensor {
    return this.compare('LessOrEqual', a, b);
  }
  greater(a: Operand, b: Operand): Tensor {
    return this.compare('Greater', a, b);
  }
  greaterOrEqual(a: Operand, b: Operand): Tensor {
    return this.compare('GreaterOrEqual', a, b);
  }

  and(a: Tensor, b: Tensor): Tensor {
    return this.compare('And', a, b);
  }
  or(a: Tensor, b: Tensor): Tensor {
    return this.compare('Or', a, b);
  }

  not(a: Tensor): Tensor {
    if (a.dtype !== 'bool') throw new Error(`not: '${a.name}' is ${a.dtype}; needs bool`);
    return this.node('Not', [a], 'bool', a.shape);
  }

  where(cond: Tensor, a: Operand, b: Operand): Tensor {
    if (cond.dtype !== 'bool') throw new Error(`where: condition '${cond.name}' is ${cond.dtype}; needs bool (use a comparison or cast(x, 'bool'))`);
    const [A, B] = this.pair('where', a, b);
    const shape = broadcastShapes('where', [cond.shape, A.shape, B.shape]);
    return this.node('Where', [cond, A, B], A.dtype, shape, {}, ([g], needs) => {
      const zero = this.scalar(0, g!.dtype);
      return [
        null,
        needs[1] ? this.sumToShape(this.where(cond, g!, zero), A.shape) : null,
        needs[2] ? this.sumToShape(this.where(cond, zero, g!), B.shape) : null,
      ];
    });
  }

  cast(x: Tensor, dtype: DType): Tensor {
    if (x.dtype === dtype) return x;
    const differentiable = isFloat(x.dtype) && isFloat(dtype);
    return this.node('Cast', [x], dtype, x.shape, { to: aInt(ELEM[dtype]) }, differentiable ? ([g]) => [this.cast(g!, x.dtype)] : undefined);
  }

  // ---------------------------------------------------------------- linear algebra and normalization

  private transposeLast2(x: Tensor): Tensor {
    const perm = Array.from({ length: x.rank }, (_, i) => i);
    [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
    return this.transpose(x, perm);
  }

  /** Numpy matmul: batched, with broadcasting over leading dims; rank-1 operands as in ONNX. */
  matmul(a: Tensor, b: Tensor): Tensor {
    this.requireFloat('matmul', a, b);
    if (a.dtype !== b.dtype) throw new Error(`matmul: dtype mismatch: '${a.name}' is ${a.dtype} but '${b.name}' is ${b.dtype}`);
    if (a.rank < 1 || b.rank < 1) throw new Error(`matmul: operands must have rank >= 1, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    const a2 = a.rank === 1 ? [1, a.shape[0]] : a.shape;
    const b2 = b.rank === 1 ? [b.shape[0], 1] : b.shape;
    const k1 = a2[a2.length - 1];
    const k2 = b2[b2.length - 2];
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
      throw new Error(`matmul: inner dims differ: ${fmtShape(a.shape)} x ${fmtShape(b.shape)}`);
    }
    const batch = broadcastShapes('matmul', [a2.slice(0, -2), b2.slice(0, -2)]);
    const out: Dim[] = [...batch];
    if (a.rank > 1) out.push(a2[a2.length - 2]);
    if (b.rank > 1) out.push(b2[b2.length - 1]);
    return this.node('MatMul', [a, b], a.dtype, out, {}, ([g], needs) => this.matmulBackward(a, b, g!, needs));
  }

  private matmulBackward(a: Tensor, b: Tensor, g: Tensor, needs: boolean[]): (Tensor | null)[] {
    // Lift rank-1 operands to matrices so one rule covers every case.
    const A = a.rank === 1 ? this.unsqueeze(a, [0]) : a;
    const B = b.rank === 1 ? this.unsqueeze(b, [1]) : b;
    let G = g;
    if (a.rank === 1) G = this.unsqueeze(G, [G.rank - (b.rank === 1 ? 0 : 1)]);
    if (b.rank === 1) G = this.unsqueeze(G, [G.rank]);
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (A.rank === 2 && B.rank === 2) {
      // Gemm's transpose flags avoid materializing A^T / B^T.
      if (needs[0]) ga = this.node('Gemm', [G, B], g.dtype, A.shape, { transB: aInt(1) });
      if (needs[1]) gb = this.node('Gemm', [A, G], g.dtype, B.shape, { transA: aInt(1) });
      if (ga && a.rank === 1) ga = this.squeeze(ga, [0]);
      if (gb && b.rank === 1) gb = this.squeeze(gb, [1]);
      return [ga, gb];
    }
    if (needs[0]) {
      ga = this.sumToShape(this.matmul(G, this.transposeLast2(B)), A.shape);
      if (a.rank === 1) ga = this.squeeze(ga, [0]);
    }
    if (needs[1]) {
      if (B.rank === 2 && A.rank > 2) {
        // Weight gradient of a batched activation: fold the batch into rows, one Gemm (A^T G).
        const A2 = this.flattenRows(A);
        const G2 = this.flattenRows(G);
        gb = this.node('Gemm', [A2, G2], g.dtype, [B.shape[0], B.shape[1]], { transA: aInt(1) });
      } else {
        gb = this.sumToShape(this.matmul(this.transposeLast2(A), G), B.shape);
      }
      if (b.rank === 1) gb = this.squeeze(gb, [1]);
    }
    return [ga, gb];
  }

  /** Reshape [..., n] to [rows, n]. */
  private flattenRows(x: Tensor): Tensor {
    const n = x.shape[x.rank - 1];
    const rows = numel(x.shape.slice(0, -1)) ?? this.unknownDim();
    const shape = typeof n === 'number' ? this.ints([-1, n]) : this.concat([this.ints([-1]), this.gather(this.shapeOf(x), this.ints([x.rank - 1]))], 0);
    return this.node('Reshape', [x, shape], x.dtype, [rows, n], {}, ([g]) => [this.reshapeLike(g!, x), null]);
  }

  /** LayerNormalization over the last axis. */
  layerNorm(x: Tensor, scale: Tensor, bias?: Tensor | null, epsilon = 1e-5): Tensor {
    this.requireFloat('layerNorm', x, scale);
    const last = x.rank - 1;
    // In float32 the kernel's Mean / InvStdDev outputs (stash_type float32) are exactly what backward needs;
    // in float64 they would be float32, so backward recomputes them in float64 from primitives.
    const stats = x.dtype === 'float32';
    const statShape = x.shape.map((d, i) => (i === last ? 1 : d));
    const outs: [DType, Dim[]][] = stats ? [[x.dtype, x.shape], ['float32', statShape], ['float32', statShape]] : [[x.dtype, x.shape]];
    const [y, mean, invStd] = this.emit('LayerNormalization', [x, scale, bias ?? null], outs, { axis: aInt(-1), epsilon: aFloat(epsilon) }, ([g], needs) => {
      let xhat: Tensor;
      let rstd: Tensor;
      if (stats) {
        rstd = invStd;
        xhat = this.mul(this.sub(x, mean), rstd);
      } else {
        const xc = this.sub(x, this.reduceMean(x, [last], true));
        rstd = this.div(1, this.sqrt(this.add(this.reduceMean(this.mul(xc, xc), [last], true), epsilon)));
        xhat = this.mul(xc, rstd);
      }
      const G = g!;
      let gx: Tensor | null = null;
      if (needs[0]) {
        const dxhat = this.mul(G, scale);
        const m1 = this.reduceMean(dxhat, [last], true);
        const m2 = this.reduceMean(this.mul(dxhat, xhat), [last], true);
        gx = this.mul(rstd, this.sub(this.sub(dxhat, m1), this.mul(xhat, m2)));
      }
      return [gx, needs[1] ? this.sumToShape(this.mul(G, xhat), scale.shape) : null, needs[2] && bias ? this.sumToShape(G, bias.shape) : null];
    });
    return y;
  }

  softmax(x: Tensor, axis = -1): Tensor {
    this.requireFloat('softmax', x);
    const ax = normAxis('softmax', axis, x.rank);
    const y: Tensor = this.node('Softmax', [x], x.dtype, x.shape, { axis: aInt(ax) }, ([g]) => [
      this.mul(y, this.sub(g!, this.reduceSum(this.mul(g!, y), [ax], true))),
    ]);
    return y;
  }

  logSoftmax(x: Tensor, axis = -1): Tensor {
    this.requireFloat('logSoftmax', x);
    const ax = normAxis('logSoftmax', axis, x.rank);
    const y: Tensor = this.node('LogSoftmax', [x], x.dtype, x.shape, { axis: aInt(ax) }, ([g]) => [
      this.sub(g!, this.mul(this.exp(y), this.reduceSum(g!, [ax], true))),
    ]);
    return y;
  }

  /**
   * logSoftmax(x) gathered at `indices` along the last axis (each target token's log-prob), differentiated as one op:
   * dx = g * (onehot(indices) - softmax(x)). Composed from logSoftmax and gatherElements, the backward held a
   * zero-filled scatter, exp, their product and their difference, each the size of x ([tokens, vocab]), at once.
   */
  gatherLogSoftmax(x: Tensor, indices: Tensor): Tensor {
    this.requireFloat('gatherLogSoftmax', x);
    const ax = x.rank - 1;
    let ls!: Tensor;
    return this.fused('gatherLogSoftmax', [x], ([xd]) => {
      ls = this.logSoftmax(xd, ax);
      return this.gatherElements(ls, indices, ax);
    }, (g) => [this.node('ScatterElements', [this.mul(this.exp(ls), this.neg(g)), indices, g], x.dtype, x.shape, { axis: aInt(ax), reduction: aStr('add') })]);
  }

  /**
   * RMSNorm over the last axis, x / sqrt(mean(x^2) + eps) * weight, differentiated as one op. Backward keeps x and
   * the per-row root ([..., 1]) from the forward and recomputes the normalized x; the composed rule kept the
   * normalized x too, one more activation of x's size per norm (two norms per layer).
   */
  rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
    this.requireFloat('rmsNorm', x, weight);
    const last = x.rank - 1;
    let xs!: Tensor;
    let ws!: Tensor;
    let root!: Tensor;
    return this.fused('rmsNorm', [x, weight], ([xd, wd]) => {
      [xs, ws] = [xd, wd];
      root = this.sqrt(this.add(this.reduceMean(this.mul(xd, xd), [last], true), eps));
      return this.mul(this.div(xd, root), wd);
    }, (g, _y, needs) => {
      // n = x / root; dx = (dn - n * mean(dn * n)) / root with dn = g * weight.
      const n = this.div(xs, this.distinct(root));
      let dx: Tensor | null = null;
      if (needs[0]) {
        const dn = this.mul(g, ws);
        dx = this.div(this.sub(dn, this.mul(n, this.reduceMean(this.mul(dn, n), [last], true))), root);
      }
      return [dx, needs[1] ? this.sumToShape(this.mul(g, n), weight.shape) : null];
    });
  }

  /**
   * silu(gate) * up, SwiGLU's product, differentiated as one op. Backward keeps gate and up and recomputes
   * sigmoid(gate); the composed rule kept sigmoid(gate) and silu(gate) as well, two more activations of the MLP's
   * width per layer.
   */
  siluMul(gate: Tensor, up: Tensor): Tensor {
    this.requireFloat('siluMul', gate, up);
    let gs!: Tensor;
    let us!: Tensor;
    return this.fused('siluMul', [gate, up], ([gd, ud]) => {
      [gs, us] = [gd, ud];
      // ORT fuses x * sigmoid(x) into com.microsoft QuickGelu, which has no float64 kernel: in float64 (gradient
      // checks) the sigmoid is spelled out so the pattern does not match.
      const s = gd.dtype === 'float64' ? this.div(1, this.add(this.exp(this.neg(gd)), 1)) : this.sigmoid(gd);
      return this.mul(this.mul(gd, s), ud);
    }, (g, _y, needs) => {
      const s = this.sigmoid(this.distinct(gs));
      // d silu / d gate = s * (1 + gate * (1 - s))
      const dGate = needs[0] ? this.mul(this.mul(g, us), this.mul(s, this.add(this.mul(gs, this.sub(1, s)), 1))) : null;
      return [dGate, needs[1] ? this.mul(g, this.mul(gs, s)) : null];
    });
  }

  // ---------------------------------------------------------------- indexing

  private requireIndex(op: string, idx: Tensor): void {
    if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new Error(`${op}: indices '${idx.name}' are ${idx.dtype}; need int64 or int32`);
  }

  /** Gather along `axis` (embedding lookup at axis 0); the gradient scatter-adds rows back. */
  gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
    this.requireIndex('gather', indices);
    const ax = normAxis('gather', axis, data.rank);
    const shape = [...data.shape.slice(0, ax), ...indices.shape, ...data.shape.slice(ax + 1)];
    return this.node('Gather', [data, indices], data.dtype, shape, { axis: aInt(ax) }, isFloat(data.dtype) ? ([g]) => [this.gatherBackward(data, indices, ax, g!), null] : undefined);
  }

  private gatherBackward(data: Tensor, indices: Tensor, ax: number, g: Tensor): Tensor {
    const idx = this.unsqueeze(this.cast(indices, 'int64'), [indices.rank]);
    if (ax === 0) return this.scatterAdd(this.zerosLike(data), idx, g);
    // Move the gathered axis to the front, scatter rows, move it back.
    const q = indices.rank;
    const perm = [ax, ...Array.from({ length: data.rank }, (_, i) => i).filter((i) => i !== ax)];
    const permG = [...Array.from({ length: q }, (_, i) => ax + i), ...Array.from({ length: ax }, (_, i) => i), ...Array.from({ length: g.rank - ax - q }, (_, i) => ax + q + i)];
    const zerosT = this.transpose(this.zerosLike(data), perm);
    const sc = this.scatterAdd(zerosT, idx, this.transpose(g, permG));
    return this.transpose(sc, invertPerm(perm));
  }

  /** ScatterND with reduction 'add' (opset 16+): data[idx[...]] += updates[...]. */
  scatterAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
    return this.node('ScatterND', [data, indices, updates], data.dtype, data.shape, { reduction: aStr('add') });
  }

  gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
    this.requireIndex('gatherElements', indices);
    const ax = normAxis('gatherElements', axis, data.rank);
    if (indices.rank !== data.rank) throw new Error(`gatherElements: indices rank ${indices.rank} must equal data rank ${data.rank}`);
    return this.node('GatherElements', [data, indices], data.dtype, indices.shape, { axis: aInt(ax) }, isFloat(data.dtype)
      ? ([g]) => [this.node('ScatterElements', [this.zerosLike(data), indices, g!], data.dtype, data.shape, { axis: aInt(ax), reduction: aStr('add') }), null]
      : undefined);
  }

  // ---------------------------------------------------------------- shape ops

  /**
   * Reshape to `shape`: numbers (0 copies the input dim, -1 infers), symbolic names that occur in the
   * input's shape (looked up at run time), or an int64 shape tensor.
   */
  reshape(x: Tensor, shape: Dim[] | Tensor): Tensor {
    let shapeT: Tensor;
    let dims: Dim[];
    if (shape instanceof Tensor) {
      const len = shape.shape[0];
      if (shape.rank !== 1 || typeof len !== 'number') throw new Error(`reshape: shape tensor must be 1-D with a fixed length, got ${fmtShape(shape.shape)}`);
      const known = this.intConstant(shape);
      if (known) return this.reshape(x, known);
      shapeT = shape;
      dims = Array.from({ length: len }, () => this.unknownDim());
    } else {
      dims = shape.map((d, i) => (d === 0 ? x.shape[i] : d));
      const neg = dims.filter((d) => d === -1).length;
      if (neg > 1) throw new Error(`reshape: at most one -1 allowed in ${fmtShape(shape)}`);
      if (neg === 1) {
        const total = numel(x.shape);
        const rest = numel(dims.filter((d) => d !== -1));
        dims = dims.map((d) => (d === -1 ? (total !== null && rest ? total / rest : this.unknownDim()) : d));
      }
      if (shape.some((d) => typeof d === 'string')) {
        const pieces = shape.map((d, i) => {
          if (typeof d === 'number') return this.ints([d]);
          if (x.shape[i] === d) return this.ints([0]);
          const j = x.shape.indexOf(d);
          if (j < 0) throw new Error(`reshape: symbolic dim '${d}' is not in the input shape ${fmtShape(x.shape)}; pass 0, -1 or a shape tensor`);
          return this.gather(this.shapeOf(x), this.ints([j]));
        });
        shapeT = this.concat(pieces, 0);
      } else {
        shapeT = this.ints(shape as number[]);
      }
    }
    return this.node('Reshape', [x, shapeT], x.dtype, dims, {}, ([g]) => [this.reshapeLike(g!, x), null]);
  }

  transpose(x: Tensor, perm: number[]): Tensor {
    if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
      throw new Error(`transpose: perm [${perm.join(', ')}] is not a permutation of the ${x.rank} axes of '${x.name}'`);
    }
    return this.node('Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm: aInts(perm) }, ([g]) => [this.transpose(g!, invertPerm(perm))]);
  }

  unsqueeze(x: Tensor, axes: number[]): Tensor {
    const ax = normAxes('unsqueeze', axes, x.rank + axes.length);
    const shape: Dim[] = [];
    let k = 0;
    for (let i = 0; i < x.rank + axes.length; i++) shape.push(ax.includes(i) ? 1 : x.shape[k++]);
    return this.node('Unsqueeze', [x, this.ints(ax)], x.dtype, shape, {}, ([g]) => [this.squeeze(g!, ax), null]);
  }

  squeeze(x: Tensor, axes: number[]): Tensor {
    const ax = normAxes('squeeze', axes, x.rank);
    for (const a of ax) {
      if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
    }
    return this.node('Squeeze', [x, this.ints(ax)], x.dtype, x.shape.filter((_, i) => !ax.includes(i)), {}, ([g]) => [this.unsqueeze(g!, ax), null]);
  }

  concat(xs: Tensor[], axis: number): Tensor {
    if (xs.length === 0) throw new Error('concat: needs at least one tensor');
    const r = xs[0].rank;
    const ax = normAxis('concat', axis, r);
    for (const x of xs) {
      if (x.rank !== r || x.dtype !== xs[0].dtype) throw new Error(`concat: all inputs need rank ${r} and dtype ${xs[0].dtype}; '${x.name}' is ${x.dtype} ${fmtShape(x.shape)}`);
    }
    const sizes = xs.map((x) => x.shape[ax]);
    const total = sizes.every((d) => typeof d === 'number') ? (sizes as number[]).reduce((p, q) => p + q, 0) : this.unknownDim();
    const shape = xs[0].shape.map((d, i) => (i === ax ? total : d));
    const differentiable = isFloat(xs[0].dtype);
    return this.node('Concat', xs, xs[0].dtype, shape, { axis: aInt(ax) }, differentiable ? ([g]) => this.split(g!, xs.map((x) => x), ax) : undefined);
  }

  /** Split `x` along `axis` into pieces shaped like `likes` (the inverse of concat). */
  split(x: Tensor, likes: (Tensor | number)[], axis: number): Tensor[] {
    const ax = normAxis('split', axis, x.rank);
    const sizesStatic = likes.map((l) => (typeof l === 'number' ? l : l.shape[ax]));
    let sizes: Tensor;
    if (sizesStatic.every((d) => typeof d === 'number')) sizes = this.ints(sizesStatic as number[]);
    else {
      sizes = this.concat(likes.map((l) => (typeof l === 'number' ? this.ints([l]) : this.gather(this.shapeOf(l), this.ints([ax])))), 0);
    }
    const outs = this.emit('Split', [x, sizes], sizesStatic.map((d) => [x.dtype, x.shape.map((e, i) => (i === ax ? d : e))] as [DType, Dim[]]), { axis: aInt(ax) },
      isFloat(x.dtype)
        ? (gs) => [this.concat(gs.map((g, i) => g ?? this.zerosLike(outs[i])), ax), null]
        : undefined, !isFloat(x.dtype));
    return outs;
  }

  /**
   * Slice with numpy semantics; gradient supported for step 1 (the model's only use). Ends of 2**31 or more
   * mean "to the end". On a symbolic dim the output length is taken from the bounds (see symbolicSliceLength).
   */
  slice(x: Tensor, starts: number[] | Tensor, ends: number[] | Tensor, axes: number[], steps?: number[]): Tensor {
    const ax = axes.map((a) => normAxis('slice', a, x.rank));
    if (new Set(ax).size !== ax.length) throw new Error(`slice: repeated axis in [${axes.join(', ')}]`);
    const st = steps ?? ax.map(() => 1);
    for (const [what, v] of [['starts', starts], ['ends', ends], ['steps', st]] as const) {
      const len = v instanceof Tensor ? v.shape[0] : v.length;
      if (len !== ax.length) throw new Error(`slice: ${what} has length ${len} but axes has ${ax.length}`);
    }
    const shape = [...x.shape];
    ax.forEach((a, i) => {
      const d = x.shape[a];
      if (st[i] === 0) throw new Error('slice: step 0 is not allowed');
      if (starts instanceof Tensor || ends instanceof Tensor) shape[a] = this.unknownDim();
      else if (typeof d === 'number') shape[a] = sliceLength(d, starts[i], ends[i], st[i]);
      else shape[a] = symbolicSliceLength(d, starts[i], ends[i], st[i]) ?? this.unknownDim();
    });
    const sT = starts instanceof Tensor ? starts : this.ints(starts);
    const eT = ends instanceof Tensor ? ends : this.ints(ends);
    const inputs = [x, sT, eT, this.ints(ax), steps ? this.ints(st) : null];
    const y: Tensor = this.node('Slice', inputs, x.dtype, shape, {}, ([g]) => {
      if (st.some((s) => s !== 1)) throw new Error(`slice: gradient is implemented for step 1 only, got steps [${st.join(', ')}]`);
      return [this.slicePadBack(x, y, g!, sT, ax), null, null, null, null];
    });
    return y;
  }

  /** Gradient of a step-1 slice: pad the output gradient with zeros back to the input's shape. */
  private slicePadBack(x: Tensor, y: Tensor, g: Tensor, starts: Tensor, ax: number[]): Tensor {
    const knownStarts = this.intConstant(starts);
    if (numel(x.shape) !== null && numel(y.shape) !== null && knownStarts) {
      const begin = x.shape.map(() => 0);
      ax.forEach((a, i) => {
        const d = x.shape[a] as number;
        const s = knownStarts[i] < 0 ? knownStarts[i] + d : knownStarts[i];
        begin[a] = Math.min(Math.max(s, 0), d);
      });
      const end = x.shape.map((d, i) => (d as number) - (y.shape[i] as number) - begin[i]);
      return this.node('Pad', [g, this.ints([...begin, ...end])], g.dtype, x.shape, {}, ([gg]) => [this.slice(gg!, begin, begin.map((b, i) => b + (y.shape[i] as number)), begin.map((_, i) => i)), null]);
    }
    // Run-time pads: begin = clamp(start < 0 ? start + dim : start, 0, dim); end = dim - out - begin.
    const dims = this.shapeOf(x);
    const d = this.gather(dims, this.ints(ax));
    const s64 = this.cast(starts, 'int64');
    const wrapped = this.where(this.less(s64, 0), this.node('Add', [s64, d], 'int64', [ax.length]), s64);
    const clamped = this.node('Max', [this.node('Min', [wrapped, d], 'int64', [ax.length]), this.scalar(0, 'int64')], 'int64', [ax.length]);
    const beginPieces = x.shape.map((_, i) => {
      const j = ax.indexOf(i);
      return j < 0 ? this.ints([0]) : this.slice(clamped, [j], [j + 1], [0]);
    });
    const begin = this.concat(beginPieces, 0);
    const end = this.node('Sub', [this.node('Sub', [dims, this.shapeOf(g)], 'int64', [x.rank]), begin], 'int64', [x.rank]);
    return this.node('Pad', [g, this.concat([begin, end], 0)], g.dtype, x.shape);
  }

  expand(x: Tensor, shape: Tensor): Tensor {
    const len = shape.shape[0];
    if (shape.rank !== 1 || typeof len !== 'number') throw new Error(`expand: shape tensor must be 1-D with a fixed length, got ${fmtShape(shape.shape)}`);
    const known = this.intConstant(shape);
    const target: Dim[] = known ?? Array.from({ length: len }, () => this.unknownDim());
    const out = broadcastShapes('expand', [x.shape, target]);
    return this.expandTo(x, shape, out);
  }

  range(start: Operand, limit: Operand, delta: Operand): Tensor {
    const like = [start, limit, delta].find((v): v is Tensor => v instanceof Tensor);
    const dtype: DType = like?.dtype ?? 'int64';
    const lift = (v: Operand): Tensor => (typeof v === 'number' ? this.scalar(v, dtype) : v);
    const n = [start, limit, delta].every((v) => typeof v === 'number') ? Math.max(Math.ceil(((limit as number) - (start as number)) / (delta as number)), 0) : this.unknownDim();
    return this.node('Range', [lift(start), lift(limit), lift(delta)], dtype, [n]);
  }

  /** Keep the upper (or lower) triangle of the last two axes, offset by k diagonals. */
  trilu(x: Tensor, upper: boolean, k = 0): Tensor {
    const kT = k === 0 ? null : this.scalar(k, 'int64');
    return this.node('Trilu', kT ? [x, kT] : [x], x.dtype, x.shape, { upper: aInt(upper ? 1 : 0) }, isFloat(x.dtype) ? ([g]) => [this.trilu(g!, upper, k), null] : undefined);
  }

  // ---------------------------------------------------------------- reductions

  private reduceShape(x: Tensor, axes: number[], keepdims: boolean): Dim[] {
    return keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  }

  /** Broadcast a reduced gradient back over the reduced axes. */
  private unreduce(g: Tensor, x: Tensor, axes: number[], keepdims: boolean): Tensor {
    const gk = keepdims ? g : this.unsqueeze(g, axes);
    const shape = numel(x.shape) !== null ? this.ints(x.shape as number[]) : this.shapeOf(x);
    return this.expandTo(gk, shape, x.shape);
  }

  /** Sum over `axes` ([] = all axes). */
  reduceSum(x: Tensor, axes: number[], keepdims = false): Tensor {
    const ax = axes.length ? normAxes('reduceSum', axes, x.rank) : x.shape.map((_, i) => i);
    return this.node('ReduceSum', [x, this.ints(ax)], x.dtype, this.reduceShape(x, ax, keepdims), { keepdims: aInt(keepdims ? 1 : 0) }, isFloat(x.dtype)
      ? ([g]) => [this.unreduce(g!, x, ax, keepdims), null]
      : undefined);
  }

  reduceMean(x: Tensor, axes: number[], keepdims = false): Tensor {
    this.requireFloat('reduceMean', x);
    const ax = axes.length ? normAxes('reduceMean', axes, x.rank) : x.shape.map((_, i) => i);
    const y: Tensor = this.node('ReduceMean', [x], x.dtype, this.reduceShape(x, ax, keepdims), { axes: aInts(ax), keepdims: aInt(keepdims ? 1 : 0) }, ([g]) => {
      const count = numel(ax.map((a) => x.shape[a]));
      const scale = count !== null
        ? this.scalar(1 / count, x.dtype)
        : this.div(this.cast(this.node('Size', [y], 'int64', []), x.dtype), this.cast(this.node('Size', [x], 'int64', []), x.dtype));
      return [this.mul(this.unreduce(g!, x, ax, keepdims), scale)];
    });
    return y;
  }

  /** Max over `axes`; ties share the gradient equally. */
  reduceMax(x: Tensor, axes: number[], keepdims = false): Tensor {
    const ax = axes.length ? normAxes('reduceMax', axes, x.rank) : x.shape.map((_, i) => i);
    const y: Tensor = this.node('ReduceMax', [x], x.dtype, this.reduceShape(x, ax, keepdims), { axes: aInts(ax), keepdims: aInt(keepdims ? 1 : 0) }, isFloat(x.dtype)
      ? ([g]) => {
        const yk = keepdims ? y : this.unsqueeze(y, ax);
        const mask = this.cast(this.equal(x, yk), x.dtype);
        const share = this.div(mask, this.reduceSum(mask, ax, true));
        return [this.mul(this.unreduce(g!, x, ax, keepdims), share)];
      }
      : undefined);
    return y;
  }

  /** Stable log(sum(exp(x))) over one axis: m + log(sum(exp(x - m))), m = max treated as a constant. */
  logSumExp(x: Tensor, axis: number, keepdims = false): Tensor {
    const ax = normAxis('logSumExp', axis, x.rank);
    const m = this.stopGradient(this.reduceMax(x, [ax], true));
    const lse = this.add(this.log(this.reduceSum(this.exp(this.sub(x, m)), [ax], true)), m);
    return keepdims ? lse : this.squeeze(lse, [ax]);
  }

  // ---------------------------------------------------------------- autodiff and serialization

  /** d(loss)/d(wrt[i]) as tensors of this graph; see autodiff.ts. */
  grad(loss: Tensor, wrt: Tensor[]): Tensor[] {
    return gradients(this, loss, wrt);
  }

  /** The ONNX ModelProto bytes of this graph (serialize.ts). */
  toBytes(opts: { opset?: number } = {}): Uint8Array {
    return serializeGraph({ name: this.name, tape: this.tape, inputs: this.graphInputs, outputs: this.graphOutputs, initializers: this.initializers }, opts);
  }

  /** sha256 (hex) of the serialized model: equal for equal constructions. */
  hash(opts: { opset?: number } = {}): string {
    return createHash('sha256').update(this.toBytes(opts)).digest('hex');
  }
}

/** The Graph method named after an ONNX op ('LessOrEqual' -> 'lessOrEqual'), for error messages. */
function methodName(op: string): string {
  return op[0].toLowerCase() + op.slice(1);
}

/**
 * Static length of a slice of a symbolic dim, assuming the dim is at least as long as the bounds reach
 * (x[2:5] has length 3, x[-1:] length 1); null where that is not enough to know it.
 */
function symbolicSliceLength(dim: string, start: number, end: number, step: number): Dim | null {
  const toEnd = end >= 2 ** 31;
  if (start === 0 && toEnd && step === 1) return dim;
  if (step === 1 && start < 0 && toEnd) return -start;
  if (step === 1 && start < 0 && end < 0) return Math.max(end - start, 0);
  if (step > 0 && start >= 0 && end >= 0 && !toEnd) return Math.max(Math.ceil((end - start) / step), 0);
  return null;
}

function sliceLength(dim: number, start: number, end: number, step: number): number {
  const clampIdx = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clampIdx(s, 0, dim);
    e = clampIdx(e, 0, dim);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clampIdx(s, -1, dim - 1);
  e = clampIdx(e, -1, dim - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}
