// Keras's text classifier: Embedding → GlobalAveragePooling1D → Dense, on synthetic token
// sequences whose label is whether "positive" tokens outnumber "negative" ones.
// npm run example:text
import * as weft from '../src/index.js';

const VOCAB = 1000;
const LENGTH = 40;
const ROWS = 4000;

/** Tokens 1..99 are positive, 100..199 negative, the rest neutral (mulberry32, seeded). */
function tokens(seed: number): { x: weft.tf.Tensor2D; y: weft.tf.Tensor1D } {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ids = new Int32Array(ROWS * LENGTH);
  const labels = new Float32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    let score = 0;
    for (let t = 0; t < LENGTH; t++) {
      const id = Math.floor(rand() * VOCAB);
      ids[r * LENGTH + t] = id;
      score += id > 0 && id < 100 ? 1 : id >= 100 && id < 200 ? -1 : 0;
    }
    labels[r] = score > 0 ? 1 : 0;
  }
  return { x: weft.tf.tensor2d(ids, [ROWS, LENGTH], 'int32'), y: weft.tf.tensor1d(labels) };
}

const inputs = weft.input({ shape: [LENGTH], dtype: 'int32' });
let x = weft.layers.embedding({ inputDim: VOCAB, outputDim: 16 }).apply(inputs);
x = weft.layers.globalAveragePooling1d().apply(x);
x = weft.layers.dense({ units: 16, activation: 'relu' }).apply(x);
const outputs = weft.layers.dense({ units: 1, activation: 'sigmoid' }).apply(x);
const model = weft.model({ inputs, outputs });
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
model.summary();

const train = tokens(1);
const test = tokens(2);
await model.fit(train.x, train.y, { epochs: 10, batchSize: 64, validationSplit: 0.1, verbose: 2 });
const [loss, acc] = (await model.evaluate(test.x, test.y)) as weft.tf.Scalar[];
console.log(`test loss ${loss.dataSync()[0].toFixed(4)}, accuracy ${(100 * acc.dataSync()[0]).toFixed(1)}%`);
