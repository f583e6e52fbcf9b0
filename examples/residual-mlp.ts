// A residual MLP: two blocks of Dense → LayerNormalization with an Add skip connection,
// AdamW with a cosine learning-rate schedule.  npm run example:residual
import * as weft from '../src/index.js';
import { randomClassification } from './random-data.js';

const L = weft.layers;
const inputs = weft.input({ shape: [64] });
let x = L.dense({ units: 128, activation: 'relu' }).apply(inputs);
for (let block = 0; block < 2; block++) {
  const h = L.dense({ units: 128, activation: 'gelu' }).apply(x);
  x = L.layerNormalization().apply(L.add([x, L.dropout({ rate: 0.1 }).apply(h)]));
}
const outputs = L.dense({ units: 10, activation: 'softmax' }).apply(x);
const model = weft.model({ inputs, outputs });

const schedule = weft.schedules.cosineDecay({ initialLearningRate: 3e-3, decaySteps: 100, warmupTarget: 3e-3, warmupSteps: 10 });
model.compile({ optimizer: weft.optimizers.adamw({ learningRate: schedule }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const { x: xTrain, y: yTrain } = randomClassification(2000, 64);
await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 64 });
