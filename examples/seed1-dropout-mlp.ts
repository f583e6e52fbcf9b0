// Seed example 1: a two-layer MLP with a Dropout layer in between.  npm run example:1
import * as weft from '../src/index.js';
import { randomClassification } from './random-data.js';

// Define Input shape
const inputs = weft.input({ shape: [100] }); // 100 features

// Dense layer 1
let x = weft.layers.dense({ units: 128, activation: 'relu' }).apply(inputs);

// Dropout layer
x = weft.layers.dropout({ rate: 0.5 }).apply(x);

// Dense layer 2
const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x); // 10 classes

// Define model
const model = weft.model({ inputs, outputs });

// Compile the model for training
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });

// Example of model summary to visualise it.
model.summary();

const { x: xTrain, y: yTrain } = randomClassification(1000, 100);
await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 32 });
