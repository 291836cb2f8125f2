/**
 * A hand-encoded ONNX ModelProto of a MatMul chain: Y = X @ W @ W @ ... (`depth` times).
 * The runtime needs a model of its own, independent of the graph builder, to probe whether an execution
 * provider loads and to measure the MatMul roof the engine bench compares training against.
 */
import { Writer } from 'protobufjs';

const FLOAT = 1;

function valueInfo(w: Writer, field: number, name: string, dims: number[]): void {
  w.uint32((field << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(name);
  w.uint32((2 << 3) | 2).fork(); // TypeProto
  w.uint32((1 << 3) | 2).fork(); // TypeProto.Tensor
  w.uint32((1 << 3) | 0).int32(FLOAT);
  w.uint32((2 << 3) | 2).fork(); // TensorShapeProto
  for (const d of dims) {
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 0).int64(d);
    w.ldelim();
  }
  w.ldelim().ldelim().ldelim().ldelim();
}

function node(w: Writer, inputs: string[], output: string, name: string): void {
  w.uint32((1 << 3) | 2).fork();
  for (const i of inputs) w.uint32((1 << 3) | 2).string(i);
  w.uint32((2 << 3) | 2).string(output);
  w.uint32((3 << 3) | 2).string(name);
  w.uint32((4 << 3) | 2).string('MatMul');
  w.ldelim();
}

/** Inputs `x` [m, k] and `w` [k, k] (or [k, n] when depth is 1), output `y`. */
export function matmulChainModel(m: number, k: number, n: number = k, depth = 1): Uint8Array {
  if (depth > 1 && n !== k) throw new Error(`matmulChainModel: a chain of depth ${depth} needs a square w (k=${k}, n=${n})`);
  const w = Writer.create();
  w.uint32((1 << 3) | 0).int64(8); // ir_version
  w.uint32((2 << 3) | 2).string('prefloop-runtime');
  w.uint32((7 << 3) | 2).fork(); // GraphProto
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    const out = i === depth - 1 ? 'y' : `h${i}`;
    node(w, [prev, 'w'], out, `matmul_${i}`);
    prev = out;
  }
  w.uint32((2 << 3) | 2).string('matmul_chain');
  valueInfo(w, 11, 'x', [m, k]);
  valueInfo(w, 11, 'w', [k, n]);
  valueInfo(w, 12, 'y', [m, n]);
  w.ldelim();
  w.uint32((8 << 3) | 2).fork(); // opset_import
  w.uint32((2 << 3) | 0).int64(17);
  w.ldelim();
  return w.finish();
}
