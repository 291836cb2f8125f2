/**
 * Serialization of a Graph to ONNX ModelProto bytes (proto.ts is the encoder): the tape's nodes in order, named
 * `<op>_n<i>`, with the opset rewrite (Reduce* `axes` attribute -> input from opset 18 on), and the constant
 * encoding the builder's initializers use. Deterministic: equal constructions give equal bytes (Graph.hash).
 */
import { ElemType, encodeModel, type NodeData, type TensorData, type ValueInfoData } from './proto';
import { isUnknown, type DType } from './shape';
import type { TapeEntry, Tensor } from './graph';

export const ELEM: Record<DType, ElemType> = { float32: ElemType.FLOAT, float64: ElemType.DOUBLE, int64: ElemType.INT64, int32: ElemType.INT32, bool: ElemType.BOOL };

export const DEFAULT_OPSET = 17;
const IR_VERSION = 8;

/** Reduce ops whose `axes` is an attribute before opset 18 and an input from 18 on. */
const AXES_ATTR_UNTIL_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceLogSumExp']);

export type ConstValues = number | number[] | Float32Array | Float64Array | BigInt64Array | Int32Array;

/** Little-endian raw bytes of `values` as `dtype`; `nums` keeps integer values (static shapes), else null. */
export function encodeValues(values: ConstValues, dtype: DType): { raw: Uint8Array; count: number; nums: number[] | null } {
  const arr: ArrayLike<number | bigint> = typeof values === 'number' ? [values] : values;
  const n = arr.length;
  const width = dtype === 'bool' ? 1 : dtype === 'float32' || dtype === 'int32' ? 4 : 8;
  const raw = new Uint8Array(n * width);
  const dv = new DataView(raw.buffer);
  const asNum = (v: number | bigint): number => (typeof v === 'bigint' ? Number(v) : v);
  const nums: number[] | null = dtype === 'int64' || dtype === 'int32' ? [] : null;
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    switch (dtype) {
      case 'float32':
        dv.setFloat32(i * 4, asNum(v), true);
        break;
      case 'float64':
        dv.setFloat64(i * 8, asNum(v), true);
        break;
      case 'int32':
        dv.setInt32(i * 4, asNum(v), true);
        nums!.push(asNum(v));
        break;
      case 'int64': {
        const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
        dv.setBigInt64(i * 8, b, true);
        nums!.push(Number(b));
        break;
      }
      case 'bool':
        dv.setUint8(i, asNum(v) ? 1 : 0);
        break;
    }
  }
  return { raw, count: n, nums };
}

/** What serialization reads of a Graph. */
export interface GraphParts {
  name: string;
  tape: readonly TapeEntry[];
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  initializers: readonly TensorData[];
}

export function serializeGraph(graph: GraphParts, opts: { opset?: number } = {}): Uint8Array {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < 17 || opset > 26) throw new Error(`toBytes: opset ${opset} is unsupported; use 17..26 (LayerNormalization needs 17, ORT 1.30 accepts up to 26)`);
  if (graph.outputs.length === 0) throw new Error(`toBytes: graph '${graph.name}' has no outputs; call graph.output(tensor, name)`);
  const initializers = [...graph.initializers];
  const nodes: NodeData[] = graph.tape.filter((e) => !e.virtual).map((e, i) => {
    const inputs = e.inputs.map((t) => (t ? t.name : ''));
    while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
    const attrs = Object.entries(e.attrs);
    const name = `${e.op}_n${i}`;
    if (opset >= 18 && AXES_ATTR_UNTIL_18.has(e.op)) {
      const axes = attrs.find(([k]) => k === 'axes');
      if (axes) {
        const values = axes[1].value as number[];
        const { raw } = encodeValues(values, 'int64');
        initializers.push({ name: `${name}_axes`, elemType: ElemType.INT64, dims: [values.length], raw });
        inputs.push(`${name}_axes`);
        attrs.splice(attrs.indexOf(axes), 1);
      }
    }
    return { name, opType: e.op, domain: e.domain, inputs, outputs: e.outputs.map((o) => o.name), attrs };
  });
  const vi = (t: Tensor): ValueInfoData => ({ name: t.name, elemType: ELEM[t.dtype], dims: t.shape.map((d) => (isUnknown(d) ? null : d)) });
  return encodeModel({
    irVersion: IR_VERSION,
    opset,
    producerName: 'prefloop',
    producerVersion: '0.1.0',
    graph: { name: graph.name, nodes, initializers, inputs: graph.inputs.map(vi), outputs: graph.outputs.map(vi) },
  });
}
