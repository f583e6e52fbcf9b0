// Keras's "simple MNIST convnet" (keras.io/examples/vision/mnist_convnet) on Fashion-MNIST, on
// every core: Conv2D 32 3×3 relu → MaxPooling 2 → Conv2D 64 3×3 relu → MaxPooling 2 → Flatten →
// Dropout 0.5 → Dense 10 softmax, Adam, batch 128, 15 epochs, a tenth held out for validation.
//   npm run example:convnet [-- --epochs 15]
// Fashion-MNIST comes from Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)
// or $WEFT_FASHION_MNIST; without it the example says so and trains on the embedded 8×8 digits,
// where the second pooling is left out (its 2×2 maps are too small for one).
import { parseArgs } from 'node:util';
import * as weft from '../src/index.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '15' } } });
const epochs = Number(values.epochs);
if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`--epochs: expected a positive integer, received '${values.epochs}'`);

function load(): { name: string; train: weft.LabelledTensors; test: weft.LabelledTensors } {
  try {
    const fashion = weft.loadFashionMnist({ tensors: true, image: true });
    return { name: `Fashion-MNIST (${fashion.source})`, ...fashion };
  } catch (e) {
    if (!(e instanceof weft.DataFileError)) throw e;
    console.log(`${e.message}\nTraining on the embedded digits instead.`);
    const digits = weft.loadDigits({ tensors: true, image: true });
    const cut = Math.floor(digits.rows * 0.8);
    const part = (from: number, to: number) => ({
      x: weft.tf.slice(digits.x, [from, 0, 0, 0], [to - from, -1, -1, -1]), labels: weft.tf.slice(digits.labels, [from], [to - from]), rows: to - from,
    });
    return { name: 'the embedded 8×8 digits', train: part(0, cut), test: part(cut, digits.rows) };
  }
}

const { name, train, test } = load();
const [height, width] = train.x.shape.slice(1, 3) as [number, number];
const inputs = weft.input({ shape: [height, width, 1] });
let x = weft.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(inputs);
x = weft.layers.maxPooling2d({ poolSize: 2 }).apply(x);
x = weft.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }).apply(x);
if (x.shape[1]! >= 2) x = weft.layers.maxPooling2d({ poolSize: 2 }).apply(x);
x = weft.layers.flatten().apply(x);
x = weft.layers.dropout({ rate: 0.5 }).apply(x);
const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x);
const model = weft.model({ inputs, outputs, seed: 1 });
model.summary();

model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
console.log(`Training on ${train.rows} images of ${name}, ${epochs} epochs`);
const started = performance.now();
await model.fit(train.x, train.labels, { batchSize: 128, epochs, validationSplit: 0.1, verbose: 2 });
const seconds = (performance.now() - started) / 1000;
const [loss, accuracy] = (await model.evaluate(test.x, test.labels)) as weft.tf.Scalar[];
console.log(`Trained in ${seconds.toFixed(1)} s. Test loss ${loss.dataSync()[0].toFixed(4)}, accuracy ${(100 * accuracy.dataSync()[0]).toFixed(2)}% on ${test.rows} images`);
await model.dispose();
