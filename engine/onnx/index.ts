/**
 * engine/onnx: build ONNX models in TypeScript, with reverse-mode autodiff emitted as ONNX ops.
 *
 * Design
 * - Tape. A Graph is a list of tape entries in construction order. Each op method (add, matmul, layerNorm,
 *   ...) appends one entry: the ONNX node, static output dtypes/shapes, and a backward rule. Ranks are always
 *   static; dims are numbers, symbolic names ('batch'), or internal unknowns. Weights are graph inputs
 *   (param), not initializers, so one ORT session serves every training step; constants are initializers.
 * - Backward rules live next to their forward in graph.ts. A rule receives the output gradients and a mask of
 *   which inputs need one, and emits ordinary ONNX ops into the same graph (no training kernels needed).
 *   grad(loss, wrt) (autodiff.ts) marks tensors that depend on wrt, walks the tape backwards from the loss,
 *   sums gradients of tensors used more than once, and skips everything that does not reach the loss.
 *   A wrt tensor that does not reach the loss gets zeros.
 * - Broadcasting. Gradients of broadcasting ops are summed back to the operand's shape: leading axes the
 *   operand lacks are summed away, and so is every axis where the operand's static dim is literally 1 and the
 *   output's is not. Assumption: symbolic dims (with the same or different names) are never broadcast against
 *   each other or against numbers; a symbolic dim that is 1 at run time against a larger dim would get a wrong
 *   gradient, so declare such dims as the literal 1.
 * - float64: ORT CPU lacks float64 kernels for a few ops (F64_MISSING in graph.ts); in float64 graphs those
 *   ops are composed of primitives, so gradient checks run in float64 everywhere.
 * - Serialization: serialize.ts turns a Graph into ModelProto bytes (IR 8, opset 17 default, the opset-18 rewrite)
 *   through proto.ts, a small deterministic protobuf encoder; hash() is the sha256 of those bytes, so equal
 *   constructions hash equally.
 */
export { Graph, Tensor, DEFAULT_OPSET, F64_MISSING } from './graph';
export type { Backward, Operand, TapeEntry } from './graph';
export type { Dim, DType } from './shape';
export { broadcastShapes, isFloat } from './shape';
