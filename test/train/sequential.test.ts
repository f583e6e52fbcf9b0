import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { bitwiseEqual, classification } from '../parallel/helpers.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();
const { tf } = weft;

// Issue 11: weft.sequential() with model.add(layer) and inputShape on the first layer, as tfjs
// users write most small models; a functional model underneath.
describe('weft.sequential', () => {
  it('add() with inputShape on the first layer builds, summarises and trains like the functional model', async () => {
    const seq = track(weft.sequential({ seed: 5 }));
    seq.add(weft.layers.dense({ units: 8, activation: 'relu', inputShape: [20], name: 'h' }));
    seq.add(weft.layers.dropout({ rate: 0.2, name: 'd' }));
    seq.add(weft.layers.dense({ units: 5, activation: 'softmax', name: 'o' }));
    expect(seq).toBeInstanceOf(weft.Model);
    expect(seq.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense', 'Dropout', 'Dense']);
    expect(seq.countParams()).toBe(20 * 8 + 8 + 8 * 5 + 5);
    const lines: string[] = [];
    seq.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/h \(Dense\)\s+\(None, 8\)\s+168/);

    const inputs = weft.input({ shape: [20] });
    let x = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
    x = weft.layers.dropout({ rate: 0.2 }).apply(x);
    const fn = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 5, activation: 'softmax' }).apply(x), seed: 5 }));
    // Built add by add, the weights are those the same model built in one go draws.
    expect(bitwiseEqual(seq.params, fn.params)).toBe(true);

    const { x: xs, y } = classification(48);
    for (const m of [seq, fn]) m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const args = { epochs: 2, batchSize: 16, seed: 2, workers: 2, verbose: 0 } as const;
    const hs = await seq.fit(xs, y, args);
    const hf = await fn.fit(xs, y, args);
    expect(hs.history).toEqual(hf.history);
    expect(bitwiseEqual(seq.params, fn.params)).toBe(true);
    expect(((await seq.predict(xs)) as weft.tf.Tensor).shape).toEqual([48, 5]);
  });

  it('takes its layers at once, or weft.input() first; layer.input and layer.output are symbolic', () => {
    const a = weft.sequential({ layers: [weft.layers.dense({ units: 3, batchInputShape: [null, 4] }), weft.layers.dense({ units: 1 })] });
    expect(a.outputs[0].shape).toEqual([null, 1]);
    const b = weft.sequential();
    b.add(weft.input({ shape: [6] }));
    const first = weft.layers.dense({ units: 2 });
    b.add(first);
    expect(b.inputs[0].shape).toEqual([null, 6]);
    expect(first.output.shape).toEqual([null, 2]);
    expect((first.input as weft.SymbolicTensor).shape).toEqual([null, 6]);
  });

  it('keeps weights set between adds; refuses a first layer without an input, and adds after compile', () => {
    const m = weft.sequential({ seed: 1 });
    expect(() => m.add(weft.layers.dense({ units: 2 }))).toThrow(/first layer of a Sequential model must declare its input/);
    m.add(weft.layers.dense({ units: 2, inputShape: [3] }));
    m.setWeights([tf.ones([3, 2]), tf.zeros([2])]);
    m.add(weft.layers.dense({ units: 1 }));
    expect(Array.from(m.getWeights()[0].dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(() => m.add(weft.layers.dense({ units: 1 }))).toThrow(weft.StateError);
    expect(() => weft.sequential().compile({ optimizer: 'sgd', loss: 'mse' })).toThrow(/no layers yet/);
  });

  it('a declared inputShape that does not match is a ShapeError in the functional API too', () => {
    const layer = weft.layers.dense({ units: 2, inputShape: [3] });
    expect(() => layer.apply(weft.input({ shape: [4] }))).toThrow(/declared with input shape \[null,3\]/);
    expect(() => weft.layers.dense({ units: 2, inputShape: [0] })).toThrow(/inputShape\[0\]/);
  });

  it('saves and loads as a functional model (tfjs-layers reads Sequential files too)', async () => {
    const m = track(weft.sequential({ layers: [weft.layers.dense({ units: 3, inputShape: [4], activation: 'tanh' }), weft.layers.dense({ units: 2 })], seed: 3 }));
    const dir = `/tmp/weft-seq-${process.pid}`;
    await m.save(`file://${dir}`);
    const back = track(await weft.loadModel(`file://${dir}`));
    const x = tf.randomUniform([5, 4]);
    const p1 = (await m.predict(x)) as weft.tf.Tensor;
    const p2 = (await back.predict(x)) as weft.tf.Tensor;
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
  });
});
