/**
 * The chained tensor methods of `@tensorflow/tfjs` (`t.reshape([4])`, `t.add(u)`, `t.sum()`), on
 * the tfjs-core that weft uses and re-exports as `weft.tf`.
 *
 * tfjs-core ships them as 137 side-effect modules (`dist/public/chained_ops/*.js`, loaded by
 * `register_all_chained_ops.js`), ESM whose imports have no file extensions, which Node's ESM
 * loader cannot load; `import '@tensorflow/tfjs-core'` (the CJS `dist/tf-core.node.js`) registers
 * none of them. Each of those modules is one assignment,
 * `getGlobalTensorClass().prototype.abs = function () { this.throwIfDisposed(); return abs(this); }`,
 * so this module makes the same assignments from tfjs-core's exported ops instead of bundling
 * a second copy of the ops (which a build step would need, and tsx under vitest would not run).
 * The list is tfjs-core 4.22's; test/graph/chained-ops.test.ts checks it against the files.
 */
// The methods' types: those modules' declarations augment tfjs-core's Tensor interface. A
// reference, not an import, since the modules themselves cannot load; kept in the .d.ts.
/// <reference types="@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.d.ts" preserve="true" />
import * as tf from '@tensorflow/tfjs-core';

type Op = (...args: unknown[]) => tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;
type Method = (this: tf.Tensor, ...args: unknown[]) => unknown;

/** Methods that are the op of the same name with the tensor as its first argument. */
const SAME_NAME = [
  'abs', 'acos', 'acosh', 'add', 'all', 'any', 'argMax', 'argMin', 'asin', 'asinh', 'atan', 'atan2', 'atanh',
  'avgPool', 'batchToSpaceND', 'batchNorm', 'broadcastTo', 'cast', 'ceil', 'clipByValue', 'conv1d', 'conv2d',
  'conv2dTranspose', 'cos', 'cosh', 'cumprod', 'cumsum', 'depthToSpace', 'depthwiseConv2d', 'dilation2d', 'div',
  'divNoNan', 'dot', 'elu', 'equal', 'erf', 'euclideanNorm', 'exp', 'expandDims', 'expm1', 'fft', 'floor',
  'floorDiv', 'gather', 'greater', 'greaterEqual', 'ifft', 'irfft', 'isFinite', 'isInf', 'isNaN', 'leakyRelu',
  'less', 'lessEqual', 'localResponseNormalization', 'log', 'log1p', 'logSigmoid', 'logSoftmax', 'logSumExp',
  'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor', 'matMul', 'max', 'maxPool', 'maximum', 'mean', 'min',
  'minimum', 'mirrorPad', 'mod', 'mul', 'neg', 'norm', 'notEqual', 'onesLike', 'pad', 'pool', 'pow', 'prelu',
  'prod', 'reciprocal', 'relu', 'relu6', 'reshape', 'reverse', 'rfft', 'round', 'rsqrt', 'selu',
  'separableConv2d', 'sigmoid', 'sign', 'sin', 'sinh', 'slice', 'softmax', 'softplus', 'spaceToBatchND', 'split',
  'sqrt', 'square', 'squaredDifference', 'squeeze', 'step', 'stridedSlice', 'sub', 'sum', 'tan', 'tanh', 'tile',
  'topk', 'transpose', 'unique', 'unsortedSegmentSum', 'unstack', 'zerosLike',
] as const;

const ops = tf as unknown as Record<string, Op>;
const asList = (x: tf.Tensor | tf.Tensor[]) => (x instanceof tf.Tensor ? [x] : x);

/** The rest, each as its chained_ops module writes it. */
const OTHERS: Record<string, Method> = {
  // The two resize ops are exported under tf.image only.
  resizeBilinear(...args) { return (tf.image.resizeBilinear as unknown as Op)(this, ...args); },
  resizeNearestNeighbor(...args) { return (tf.image.resizeNearestNeighbor as unknown as Op)(this, ...args); },
  as1D() { return tf.reshape(this, [this.size]); },
  flatten() { return tf.reshape(this, [this.size]); },
  as2D(rows, columns) { return tf.reshape(this, [rows, columns] as number[]); },
  as3D(rows, columns, depth) { return tf.reshape(this, [rows, columns, depth] as number[]); },
  as4D(rows, columns, depth, depth2) { return tf.reshape(this, [rows, columns, depth, depth2] as number[]); },
  as5D(rows, columns, depth, depth2, depth3) { return tf.reshape(this, [rows, columns, depth, depth2, depth3] as number[]); },
  asScalar() {
    tf.util.assert(this.size === 1, () => 'The array must have only 1 element.');
    return tf.reshape(this, []);
  },
  reshapeAs(x) { return tf.reshape(this, (x as tf.Tensor).shape); },
  asType(dtype) { return tf.cast(this, dtype as tf.DataType); },
  toBool() { return tf.cast(this, 'bool'); },
  toFloat() { return tf.cast(this, 'float32'); },
  toInt() { return tf.cast(this, 'int32'); },
  concat(x, axis) { return tf.concat([this, ...asList(x as tf.Tensor | tf.Tensor[])], axis as number | undefined); },
  stack(x, axis) { return tf.stack([this, ...asList(x as tf.Tensor | tf.Tensor[])], axis as number | undefined); },
  oneHot(depth, onValue = 1, offValue = 0) { return tf.oneHot(this as tf.Tensor1D, depth as number, onValue as number, offValue as number); },
  where(condition, x) { return tf.where(condition as tf.Tensor, this, x as tf.Tensor); },
};

/**
 * The Tensor class tfjs-core's engine makes tensors of. tfjs-core keeps it in its process-wide
 * globals (`getGlobalTensorClass()`, not exported), so that when two copies of tfjs-core are
 * loaded the second augments the first's class; the chained_ops modules patch that one too.
 */
function globalTensorClass(): typeof tf.Tensor {
  const globals = (globalThis as { _tfGlobals?: Map<string, unknown> })._tfGlobals;
  return (globals?.get('Tensor') as typeof tf.Tensor | undefined) ?? tf.Tensor;
}

/** Adds every chained method to tfjs-core's Tensor prototype, as `register_all_chained_ops` does. Idempotent. */
export function registerChainedOps(): void {
  const proto = globalTensorClass().prototype as unknown as Record<string, Method>;
  for (const name of SAME_NAME) {
    const op = ops[name];
    proto[name] = function (...args) {
      this.throwIfDisposed();
      return op(this, ...args);
    };
  }
  for (const [name, method] of Object.entries(OTHERS)) {
    proto[name] = function (...args) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  }
}

/** The names registered, for the test that compares them with tfjs-core's chained_ops files. */
export const CHAINED_OP_NAMES: readonly string[] = [...SAME_NAME, ...Object.keys(OTHERS)];
