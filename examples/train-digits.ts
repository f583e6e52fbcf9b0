/**
 * `npm start`: seed example 1's architecture (Dense 128 relu → Dropout 0.5 → Dense 10 softmax)
 * on the embedded digits dataset, tested on a held-out fifth.
 */
import * as weft from '../src/index.js';
import { epochPermutation } from '../src/parallel/shuffle.js';
import { keyFromSeed } from '../src/parallel/random.js';

const { tf } = weft;
const SEED = 42;

const digits = weft.loadDigits();
const order = epochPermutation(keyFromSeed(SEED), 0, new Int32Array(digits.rows));
const nTest = Math.floor(digits.rows / 5);
const split = (from: number, to: number) => {
  const idx = order.subarray(from, to);
  const x = new Float32Array(idx.length * 64);
  idx.forEach((r, i) => x.set(digits.x.subarray(r * 64, r * 64 + 64), i * 64));
  const labels = tf.tensor1d(Int32Array.from(idx, (r) => digits.labels[r]), 'int32');
  return { x: tf.tensor2d(x, [idx.length, 64]), y: tf.oneHot(labels, 10) };
};
const test = split(0, nTest);
const train = split(nTest, digits.rows);

const inputs = weft.input({ shape: [64] });
let x = weft.layers.dense({ units: 128, activation: 'relu' }).apply(inputs);
x = weft.layers.dropout({ rate: 0.5 }).apply(x);
const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x);
const model = weft.model({ inputs, outputs, seed: SEED });
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
model.summary();

const started = performance.now();
await model.fit(train.x, train.y, { epochs: 30, batchSize: 32, seed: SEED });
const seconds = (performance.now() - started) / 1000;
const [loss, accuracy] = (await model.evaluate(test.x, test.y)) as weft.tf.Scalar[];
console.log(`Trained on ${digits.rows - nTest} digits in ${seconds.toFixed(1)} s.`);
console.log(`Test on the held-out ${nTest}: loss ${loss.dataSync()[0].toFixed(4)}, accuracy ${(100 * accuracy.dataSync()[0]).toFixed(1)}%`);
