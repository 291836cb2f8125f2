/**
 * Static shape helpers. Ranks are always known; a dim is a number (fixed), a string (symbolic, e.g. 'batch'),
 * or an internal unknown '?N' (written to ONNX as an empty dimension).
 *
 * Broadcasting rule used both for output shapes and for gradient reduction: an axis broadcasts only where
 * one side is literally 1 and the other is not. Two symbolic dims (even with different names) and a symbolic
 * dim against a number other than 1 are assumed equal at run time, never broadcast against each other.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
export type Dim = number | string;

export function isUnknown(d: Dim): boolean {
  return typeof d === 'string' && d.startsWith('?');
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function fmtShape(shape: Dim[]): string {
  return `[${shape.join(', ')}]`;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}; use -${rank}..${rank - 1}`);
  }
  return a;
}

export function normAxes(op: string, axes: number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new Error(`${op}: repeated axis in [${axes.join(', ')}]`);
  return out.sort((x, y) => x - y);
}

/** Numpy broadcasting of static shapes. */
export function broadcastShapes(op: string, shapes: Dim[][]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (typeof d === 'number' && typeof e === 'number' && d !== e) {
        throw new Error(`${op}: shapes ${shapes.map(fmtShape).join(' and ')} do not broadcast (axis ${i}: ${d} vs ${e})`);
      } else if (typeof d !== 'number' && typeof e === 'number') d = e; // a fixed size is the better description
      else if (isUnknown(d) && !isUnknown(e)) d = e; // prefer a named symbolic dim over an unknown one
    }
    out.push(d);
  }
  return out;
}

export function numel(shape: Dim[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

export function invertPerm(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
