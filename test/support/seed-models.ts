/**
 * The three models of the seed text (/work/shared/seed/keras-functional-dropout-mlp.md), built in
 * weft and in tfjs-layers with the same layer names, so tests can compare the two or check
 * summary text. Layer names are global counters in both libraries, hence explicit names: each
 * layer gets the name Keras gives it in a fresh session, after `names.prefix`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../src/index.js';

export type SeedIndex = 1 | 2 | 3;

export interface SeedNames {
  /** Put before every layer's Keras name ('dense', 'dense_1', ...). */
  readonly prefix: string;
  /** The input layer's whole name. */
  readonly input: string;
  /** The model's name; the library's default when left out. */
  readonly model?: string;
}

/** Seed model `k` in weft, its weights drawn from seed `k`. */
export function weftSeedModel(k: SeedIndex, names: SeedNames): weft.Model {
  const n = (base: string): string => names.prefix + base;
  const { layers } = weft;
  let inputs: weft.SymbolicTensor;
  let outputs: weft.SymbolicTensor;
  if (k === 1) {
    inputs = weft.input({ shape: [100], name: names.input });
    let x = layers.dense({ units: 128, activation: 'relu', name: n('dense') }).apply(inputs);
    x = layers.dropout({ rate: 0.5, name: n('dropout') }).apply(x);
    outputs = layers.dense({ units: 10, activation: 'softmax', name: n('dense_1') }).apply(x);
  } else if (k === 2) {
    inputs = weft.input({ shape: [100], name: names.input });
    const x = layers.dense({ units: 256, activation: 'relu', name: n('dense') }).apply(inputs);
    let b1 = layers.dropout({ rate: 0.3, name: n('dropout') }).apply(x);
    b1 = layers.dense({ units: 128, activation: 'relu', name: n('dense_1') }).apply(b1);
    const b2 = layers.dense({ units: 128, activation: 'relu', name: n('dense_2') }).apply(x);
    let merged = layers.concatenate([b1, b2], { name: n('concatenate') });
    merged = layers.dropout({ rate: 0.4, name: n('dropout_1') }).apply(merged);
    outputs = layers.dense({ units: 10, activation: 'softmax', name: n('dense_3') }).apply(merged);
  } else {
    inputs = weft.input({ shape: [50], dtype: 'int32', name: names.input });
    let x = layers.embedding({ inputDim: 1000, outputDim: 64, name: n('embedding') }).apply(inputs);
    x = layers.flatten({ name: n('flatten') }).apply(x);
    x = layers.dense({ units: 256, activation: 'relu', name: n('dense') }).apply(x);
    x = layers.dropout({ rate: 0.25, name: n('dropout') }).apply(x);
    outputs = layers.dense({ units: 10, activation: 'softmax', name: n('dense_1') }).apply(x);
  }
  return weft.model({ inputs, outputs, seed: k, ...(names.model === undefined ? {} : { name: names.model }) });
}

/** Seed model `k` in tfjs-layers; Dense kernels use `kernelInitializer` when given (tfjs-layers' default is glorotNormal, weft's glorotUniform). */
export function tflSeedModel(k: SeedIndex, names: SeedNames, kernelInitializer?: 'glorotUniform'): tfl.LayersModel {
  const n = (base: string): string => names.prefix + base;
  const dense = (units: number, activation: 'relu' | 'softmax', base: string) => tfl.layers.dense({ units, activation, name: n(base), kernelInitializer });
  const on = (layer: { apply: (x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => unknown }, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
  let inputs: tfl.SymbolicTensor;
  let outputs: tfl.SymbolicTensor;
  if (k === 1) {
    inputs = tfl.input({ shape: [100], name: names.input });
    const x = on(tfl.layers.dropout({ rate: 0.5, name: n('dropout') }), on(dense(128, 'relu', 'dense'), inputs));
    outputs = on(dense(10, 'softmax', 'dense_1'), x);
  } else if (k === 2) {
    inputs = tfl.input({ shape: [100], name: names.input });
    const x = on(dense(256, 'relu', 'dense'), inputs);
    const b1 = on(dense(128, 'relu', 'dense_1'), on(tfl.layers.dropout({ rate: 0.3, name: n('dropout') }), x));
    const b2 = on(dense(128, 'relu', 'dense_2'), x);
    const merged = on(tfl.layers.dropout({ rate: 0.4, name: n('dropout_1') }), on(tfl.layers.concatenate({ name: n('concatenate') }), [b1, b2]));
    outputs = on(dense(10, 'softmax', 'dense_3'), merged);
  } else {
    inputs = tfl.input({ shape: [50], dtype: 'int32', name: names.input });
    let x = on(tfl.layers.embedding({ inputDim: 1000, outputDim: 64, name: n('embedding') }), inputs);
    x = on(tfl.layers.flatten({ name: n('flatten') }), x);
    x = on(tfl.layers.dropout({ rate: 0.25, name: n('dropout') }), on(dense(256, 'relu', 'dense'), x));
    outputs = on(dense(10, 'softmax', 'dense_1'), x);
  }
  return tfl.model({ inputs, outputs, ...(names.model === undefined ? {} : { name: names.model }) });
}
