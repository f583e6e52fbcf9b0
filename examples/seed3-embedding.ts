// Seed example 3: integer sequences through an Embedding, flattened into an MLP.  npm run example:3
import * as weft from '../src/index.js';
import { randomClassification } from './random-data.js';

// Define Input
const vocabSize = 1000; // Example vocab size
const embeddingDim = 64; // size of the vectors in the embedding layer
const sequenceLength = 50; // max length of sequence
const inputs = weft.input({ shape: [sequenceLength], dtype: 'int32' });

// Embedding layer
let x = weft.layers.embedding({ inputDim: vocabSize, outputDim: embeddingDim }).apply(inputs);

// Flatten the output for the MLP
x = weft.layers.flatten().apply(x);

// Dense layer 1
x = weft.layers.dense({ units: 256, activation: 'relu' }).apply(x);

// Dropout layer
x = weft.layers.dropout({ rate: 0.25 }).apply(x);

// Dense layer 2
const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x);

// Define model
const model = weft.model({ inputs, outputs });

// Compile the model
model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
model.summary();

const { x: xTrain, y: yTrain } = randomClassification(1000, sequenceLength, vocabSize);
await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 32 });
