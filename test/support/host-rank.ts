/**
 * One rank of a multi-host test run (test/parallel/hosts.test.ts starts several, each with
 * torchrun's variables): trains a small dropout MLP on the embedded digits and prints one
 * `RESULT {...}` line. HOST_CASE picks what it does: 'train' (fit, evaluate, predict), 'kill'
 * (rank 2 SIGKILLs itself after batch 4), 'stall' (rank 2 SIGSTOPs itself there), 'mismatch' (rank 1 asks for another batch size).
 */
import * as weft from '../../src/index.js';

const rank = Number(process.env.RANK ?? 0);
const testCase = process.env.HOST_CASE ?? 'train';
const checkpoint = process.env.CHECKPOINT ?? '';
const epochs = Number(process.env.EPOCHS ?? 2);

function build(): weft.Model {
  const inputs = weft.input({ shape: [64] });
  // With BatchNormalization next, the dense layer has no bias (its gradient would be 0 but for
  // rounding, which Adam's normalised step would turn into ±learning-rate moves).
  // WIDE: 1,024 units, past the size where the workers apply the update over ranges (coordinator.ts).
  const units = process.env.WIDE ? 1024 : 32;
  let x = weft.layers.dense({ units: testCase === 'other-model' && rank === 1 ? 16 : units, ...(process.env.BATCH_NORM ? { useBias: false } : { activation: 'relu' }) }).apply(inputs);
  // BATCH_NORM: synchronised batch statistics, summed across the hosts within each step.
  if (process.env.BATCH_NORM) x = weft.layers.activation({ activation: 'relu' }).apply(weft.layers.batchNormalization({}).apply(x));
  x = weft.layers.dropout({ rate: 0.3 }).apply(x);
  const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x);
  // Unseeded unless asked: every rank must still start from rank 0's weights.
  const m = weft.model({ inputs, outputs, ...(process.env.MODEL_SEED === undefined ? {} : { seed: Number(process.env.MODEL_SEED) }) });
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

// 'resume' continues the run a 'checkpoint' case saved (possibly on another host count).
const model = testCase === 'resume' ? await weft.loadModel(`file://${checkpoint}/model.json`) : build();
const resume = testCase === 'resume' ? { initialEpoch: model.resumeFrom!.initialEpoch, seed: model.resumeFrom!.seed } : { seed: 5 };
const d = weft.loadDigits();
const rows = 600;
const xs = weft.tf.tensor2d(d.x.subarray(0, rows * 64), [rows, 64]);
const ys = weft.tf.tensor1d(d.labels.subarray(0, rows), 'float32');
const flat = () => model.getWeights().map((t) => Array.from(t.dataSync()));
let lastWhole: number[][] = [];
const watch: weft.Callback = {
  onBatchEnd: (batch) => {
    lastWhole = flat();
    if (testCase === 'kill' && rank === 2 && batch === 4) process.kill(process.pid, 'SIGKILL');
    if (testCase === 'stall' && rank === 2 && batch === 4) process.kill(process.pid, 'SIGSTOP');
  },
};
const batchSize = testCase === 'mismatch' && rank === 1 ? 16 : 32;
const callbacks: weft.Callback[] = [watch, ...(testCase === 'checkpoint' ? [weft.callbacks.modelCheckpoint({ path: checkpoint })] : [])];
try {
  const common = { epochs, ...resume, workers: Number(process.env.POOL ?? 1), verbose: 0 as const, callbacks };
  // 'stream': the same rows as a stream of batches (fitDataset), which every host reads whole.
  const stream = { [Symbol.asyncIterator]: async function* () {
    for (let s = 0; s < rows; s += 32) {
      const n = Math.min(32, rows - s);
      yield { xs: xs.slice([s, 0], [n, 64]), ys: ys.slice([s], [n]) };
    }
  } };
  const h = testCase === 'stream'
    ? await model.fitDataset(stream, common)
    : await model.fit(xs, ys, { ...common, batchSize, validationSplit: 0.2 });
  // 'other-data': rank 1 evaluates other rows than rank 0 (evaluate is collective across hosts).
  const [ex, ey] = testCase === 'other-data' && rank === 1 ? [xs.slice([1, 0], [rows - 1, 64]), ys.slice([1], [rows - 1])] : [xs, ys];
  const ev = (await model.evaluate(ex, ey, { batchSize: 64 })) as weft.tf.Scalar[];
  const p = (await model.predict(xs)) as weft.tf.Tensor;
  console.log(`RESULT ${JSON.stringify({ rank, loss: h.history.loss, valLoss: h.history.val_loss, weights: flat(), evaluate: ev.map((e) => e.dataSync()[0]), predict: Array.from(p.dataSync()) })}`);
} catch (err) {
  const e = err as Error & { rank?: number | null };
  console.log(`RESULT ${JSON.stringify({ rank, error: e.name, message: e.message, lostRank: e.rank ?? null, same: JSON.stringify(flat()) === JSON.stringify(lastWhole) })}`);
}
await weft.hosts.leave();
