// Seed example 2: two branches, one with dropout, concatenated, then dropout again.  npm run example:2
import * as weft from '../src/index.js';
import { randomClassification } from './random-data.js';

// Define Input shape
const inputs = weft.input({ shape: [100] });

// Initial dense layer
const x = weft.layers.dense({ units: 256, activation: 'relu' }).apply(inputs);

// Branch 1 with dropout
let branch1 = weft.layers.dropout({ rate: 0.3 }).apply(x);
branch1 = weft.layers.dense({ units: 128, activation: 'relu' }).apply(branch1);

// Branch 2 without dropout initially
const branch2 = weft.layers.dense({ units: 128, activation: 'relu' }).apply(x);

// Concatenate
let merged = weft.layers.concatenate([branch1, branch2]);

// Second dropout after concatenation
merged = weft.layers.dropout({ rate: 0.4 }).apply(merged);

// Final dense layer
const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(merged);

// Define Model
const model = weft.model({ inputs, outputs });

// Compile the model
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
model.summary();

const { x: xTrain, y: yTrain } = randomClassification(1000, 100);
await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 32 });
