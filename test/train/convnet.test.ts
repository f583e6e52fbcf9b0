import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { convnet } from '../../src/train/zoo.js';

const { tf } = weft;

describe("Keras's simple MNIST convnet", () => {
  it('has Keras\'s 34,826 parameters on 28×28 images, and its layer shapes', () => {
    const model = convnet([28, 28]);
    expect(model.countParams()).toBe(34_826);
    expect(model.layers.slice(1).map((l) => l.output.shape)).toEqual([
      [null, 26, 26, 32], [null, 13, 13, 32], [null, 11, 11, 64], [null, 5, 5, 64], [null, 1600], [null, 1600], [null, 10],
    ]);
  });

  it("prints Keras 2's summary of it: names, shapes, parameter counts, wrapped class names", () => {
    const lines: string[] = [];
    convnet([28, 28], 1).summary(undefined, undefined, (line) => lines.push(line));
    const text = lines.join('\n');
    // Layer names count per process (conv2d, conv2d_1, … across every model built here): the
    // rows allow the suffix; the columns, shapes, counts and Keras's wrapping are fixed.
    for (const row of [
      /^ conv2d(_\d+)? \(Conv2D\) +\(None, 26, 26, 32\) {8}320 {7}$/m,
      /^ max_pooling2d(_\d+)? \(MaxPooling(2D)? +\(None, 13, 13, 32\) {7}0 {9}\n (2D)?\) +$/m,
      /^ conv2d(_\d+)? \(Conv2D\) +\(None, 11, 11, 64\) {8}18496 {5}$/m,
      /^ max_pooling2d(_\d+)? \(MaxPooling(2D)? +\(None, 5, 5, 64\) {9}0 {9}\n (2D)?\) +$/m,
      /^ flatten(_\d+)? \(Flatten\) +\(None, 1600\) {14}0 {9}$/m,
      /^ dense(_\d+)? \(Dense\) +\(None, 10\) {16}16010 {5}$/m,
      /^Total params: 34,826$/m,
    ]) expect(text).toMatch(row);
  });

  it('on 8×8 digits keeps the pooling the maps allow, and says which it left out', () => {
    const notes: string[] = [];
    const model = convnet([8, 8], 1, (n) => notes.push(n));
    expect(model.layers.filter((l) => l.className === 'MaxPooling2D')).toHaveLength(1);
    expect(notes).toEqual(['convnet: the 1×1 maps after convolution 2 are too small for MaxPooling2D(2): left out']);
  });

  it('trains on the digits as images to >= 90% held-out accuracy in 8 epochs on 2 workers', async () => {
    const { x, labels: y } = weft.loadDigits({ tensors: true, image: true });
    const rows = x.shape[0];
    const test = Math.floor(rows / 5);
    const [xTest, xTrain] = tf.split(x, [test, rows - test]);
    const [yTest, yTrain] = tf.split(y, [test, rows - test]);
    const model = convnet([8, 8], 7);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(xTrain, yTrain, { epochs: 8, batchSize: 32, workers: 2, seed: 7, verbose: 0 });
    expect(h.history.loss[7]).toBeLessThan(h.history.loss[0]);
    const [, accuracy] = (await model.evaluate(xTest, yTest)) as weft.tf.Scalar[];
    expect(accuracy.dataSync()[0]).toBeGreaterThanOrEqual(0.9);
    tf.dispose([x, y, xTest, xTrain, yTest, yTrain]);
    await model.dispose();
  });
});
