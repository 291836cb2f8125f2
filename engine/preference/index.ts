export * from './types';
export * from './pairs';
export * from './rso';
export * from './oracle';
export * from './bt-model';
export * from './length-penalty';
export * from './onnx-reward';
export { normal, gumbel, permutation, sigmoid } from './random';
