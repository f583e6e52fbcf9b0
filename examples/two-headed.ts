// A two-headed model on a shared encoder: the encoder is a model of its own, applied as a layer
// (nested, its weights shared); one head classifies, one regresses, each with its own loss,
// loss weight and metrics (Keras 3's forms).  npm run example:two-headed
import * as weft from '../src/index.js';

const { tf } = weft;
const L = weft.layers;

// Synthetic data: 16 features; the class is which of 4 feature groups has the largest sum, the
// regression target is the mean of all features.
const rows = 4000;
const x = tf.randomUniform([rows, 16], 0, 1, 'float32', 3);
const groups = tf.sum(tf.reshape(x, [rows, 4, 4]), 2);
const yClass = tf.oneHot(tf.argMax(groups, 1) as weft.tf.Tensor1D, 4);
const yMean = tf.mean(x, 1, true);

const features = weft.input({ shape: [16] });
const code = L.dense({ units: 32, activation: 'relu' }).apply(L.dense({ units: 64, activation: 'relu' }).apply(features));
const encoder = weft.model({ inputs: features, outputs: code, name: 'encoder' });

const inputs = weft.input({ shape: [16] });
const shared = encoder.apply(inputs);
const kind = L.dense({ units: 4, activation: 'softmax', name: 'kind' }).apply(L.dropout({ rate: 0.1 }).apply(shared));
const level = L.dense({ units: 1, name: 'level' }).apply(shared);
const model = weft.model({ inputs, outputs: [kind, level], name: 'two_headed' });
model.summary();

model.compile({
  optimizer: 'adam',
  loss: { kind: 'categoricalCrossentropy', level: 'meanSquaredError' },
  lossWeights: { kind: 1, level: 10 },
  metrics: { kind: ['accuracy'], level: ['mae'] },
});
await model.fit(x, { kind: yClass, level: yMean }, { epochs: 8, batchSize: 64, validationSplit: 0.2 });

const [loss, kindLoss, levelLoss, accuracy, mae] = ((await model.evaluate(x, [yClass, yMean])) as weft.tf.Scalar[]).map((s) => s.dataSync()[0]);
console.log(`loss ${loss.toFixed(4)} (kind ${kindLoss.toFixed(4)}, level ${levelLoss.toFixed(5)}); kind accuracy ${(100 * accuracy).toFixed(1)}%, level MAE ${mae.toFixed(4)}`);
// The encoder is the same model, trained in place: it encodes on its own now.
const encoded = (await encoder.predict(x.slice([0, 0], [2, 16]))) as weft.tf.Tensor;
console.log(`encoder output for 2 rows: shape [${encoded.shape.join(', ')}]`);
await model.dispose();
