/**
 * The named models of `weft train --model NAME`: the three seed examples (examples/seed*.ts),
 * a plain MLP and Keras's simple MNIST convnet, each with 10 softmax outputs. The builders return uncompiled models; the
 * CLI compiles them with adam + sparseCategoricalCrossentropy + accuracy.
 */
import * as weft from '../index.js';

export type ZooName = 'seed1' | 'seed2' | 'seed3' | 'mlp' | 'convnet';

/** What a named model reads: float feature vectors (images, flattened) or int token sequences. */
export type ZooInput = 'features' | 'sequences';

/** The input each named model needs, so a caller can reject a mismatch before building. */
export const ZOO_INPUTS: Readonly<Record<ZooName, ZooInput>> = { seed1: 'features', seed2: 'features', seed3: 'sequences', mlp: 'features', convnet: 'features' };

const CLASSES = 10;

function checkFeatures(model: string, inputFeatures: number): void {
  if (!Number.isInteger(inputFeatures) || inputFeatures < 1) {
    throw new RangeError(`${model}: inputFeatures must be an integer >= 1; received ${String(inputFeatures)}`);
  }
}

/** Seed example 1: Dense 128 relu → Dropout 0.5 → Dense 10 softmax. */
export function seed1(inputFeatures: number, seed?: number): weft.Model {
  checkFeatures('seed1', inputFeatures);
  const inputs = weft.input({ shape: [inputFeatures] });
  let x = weft.layers.dense({ units: 128, activation: 'relu' }).apply(inputs);
  x = weft.layers.dropout({ rate: 0.5 }).apply(x);
  const outputs = weft.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(x);
  return weft.model({ inputs, outputs, seed, name: 'seed1' });
}

/** Seed example 2: Dense 256 → two branches of Dense 128 (one after Dropout 0.3) → concatenate → Dropout 0.4 → Dense 10. */
export function seed2(inputFeatures: number, seed?: number): weft.Model {
  checkFeatures('seed2', inputFeatures);
  const inputs = weft.input({ shape: [inputFeatures] });
  const x = weft.layers.dense({ units: 256, activation: 'relu' }).apply(inputs);
  let branch1 = weft.layers.dropout({ rate: 0.3 }).apply(x);
  branch1 = weft.layers.dense({ units: 128, activation: 'relu' }).apply(branch1);
  const branch2 = weft.layers.dense({ units: 128, activation: 'relu' }).apply(x);
  let merged = weft.layers.concatenate([branch1, branch2]);
  merged = weft.layers.dropout({ rate: 0.4 }).apply(merged);
  const outputs = weft.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(merged);
  return weft.model({ inputs, outputs, seed, name: 'seed2' });
}

/** Seed example 3: int32 sequences → Embedding → Flatten → Dense 256 → Dropout 0.25 → Dense 10. */
export function seed3(options: { vocabSize?: number; embeddingDim?: number; sequenceLength?: number; seed?: number } = {}): weft.Model {
  const { vocabSize = 1000, embeddingDim = 64, sequenceLength = 50, seed } = options;
  const inputs = weft.input({ shape: [sequenceLength], dtype: 'int32' });
  let x = weft.layers.embedding({ inputDim: vocabSize, outputDim: embeddingDim }).apply(inputs);
  x = weft.layers.flatten().apply(x);
  x = weft.layers.dense({ units: 256, activation: 'relu' }).apply(x);
  x = weft.layers.dropout({ rate: 0.25 }).apply(x);
  const outputs = weft.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(x);
  return weft.model({ inputs, outputs, seed, name: 'seed3' });
}

/** An MLP: Dense relu layers of `hidden` units, each followed by Dropout(`dropout`) when > 0, then Dense 10 softmax. */
export function mlp(inputFeatures = 784, hidden: readonly number[] = [512, 512], dropout = 0.2, seed?: number): weft.Model {
  checkFeatures('mlp', inputFeatures);
  const inputs = weft.input({ shape: [inputFeatures] });
  let h = inputs;
  for (const units of hidden) {
    h = weft.layers.dense({ units, activation: 'relu' }).apply(h);
    if (dropout > 0) h = weft.layers.dropout({ rate: dropout }).apply(h);
  }
  const outputs = weft.layers.dense({ units: CLASSES, activation: 'softmax' }).apply(h);
  return weft.model({ inputs, outputs, seed, name: 'mlp' });
}

/**
 * Keras's "simple MNIST convnet" (keras.io/examples/vision/mnist_convnet): Conv2D 32 3×3 relu →
 * MaxPooling 2 → Conv2D 64 3×3 relu → MaxPooling 2 → Flatten → Dropout 0.5 → Dense 10 softmax,
 * 34,826 parameters on 28×28 images. A pooling the image is too small for is left out (8×8
 * digits keep the first one), and `note` says so.
 */
export function convnet(image: readonly [number, number], seed?: number, note: (line: string) => void = () => {}, head: { channels?: number; classes?: number } = {}): weft.Model {
  const [height, width] = image;
  const inputs = weft.input({ shape: [height, width, head.channels ?? 1] });
  let x = inputs;
  const pool = (stage: number) => {
    const [h, w] = x.shape.slice(1, 3) as number[];
    if (h >= 2 && w >= 2) x = weft.layers.maxPooling2d({ poolSize: 2 }).apply(x);
    else note(`convnet: the ${h}×${w} maps after convolution ${stage} are too small for MaxPooling2D(2): left out`);
  };
  x = weft.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(x);
  pool(1);
  x = weft.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }).apply(x);
  pool(2);
  x = weft.layers.dropout({ rate: 0.5 }).apply(weft.layers.flatten().apply(x));
  const outputs = weft.layers.dense({ units: head.classes ?? CLASSES, activation: 'softmax' }).apply(x);
  return weft.model({ inputs, outputs, seed, name: 'convnet' });
}

/** A square image's side for `features` pixels (8 for the 64 of the digits, 28 for Fashion-MNIST's 784). */
function squareSide(features: number): number {
  const side = Math.round(Math.sqrt(features));
  if (side * side !== features) throw new RangeError(`convnet reads square one-channel images; ${features} features are not a square`);
  return side;
}

/**
 * The named model for data of `data.features` features per example of type `data.input`;
 * throws a RangeError when the model cannot read that data (seed3 on image data).
 */
export function buildNamed(name: ZooName, data: { features: number; input: ZooInput }, seed?: number, note?: (line: string) => void): weft.Model {
  if (!Object.hasOwn(ZOO_INPUTS, name)) {
    throw new RangeError(`Unknown model: '${String(name)}'. Expected one of: ${Object.keys(ZOO_INPUTS).join(', ')}.`);
  }
  if (ZOO_INPUTS[name] !== data.input) {
    throw new RangeError(
      `${name} reads ${ZOO_INPUTS[name] === 'sequences' ? 'int32 token sequences (an Embedding input)' : 'float feature vectors'}, ` +
        `but the data holds ${data.input === 'sequences' ? 'token sequences' : 'images (float features)'}`,
    );
  }
  switch (name) {
    case 'seed1': return seed1(data.features, seed);
    case 'seed2': return seed2(data.features, seed);
    case 'seed3': return seed3({ sequenceLength: data.features, seed });
    case 'mlp': return mlp(data.features, [512, 512], 0.2, seed);
    case 'convnet': return convnet([squareSide(data.features), squareSide(data.features)], seed, note);
  }
}
