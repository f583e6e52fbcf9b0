import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';

// Issue 10, item 1: a layer config refuses every key it does not implement, by name, as Keras
// does; before, `activaton` built a linear layer and `trainable: false` still trained.
describe('layer configs refuse what they do not implement', () => {
  it("a misspelt key gets Keras's 'Unrecognized keyword arguments' with the value and the known keys", () => {
    expect(() => weft.layers.dense({ units: 2, activaton: 'relu' } as never)).toThrow(
      /^Unrecognized keyword arguments passed to Dense: \{'activaton': 'relu'\}\. Expected only: units, activation, useBias/,
    );
    expect(() => weft.layers.dropout({ rate: 0.5, rat: 1 } as never)).toThrow(/passed to Dropout: \{'rat': 1\}/);
    expect(() => weft.layers.flatten({ axis: 1 } as never)).toThrow(/passed to Flatten: \{'axis': 1\}/);
    expect(() => weft.layers.concatenate({ axes: 1 } as never)).toThrow(/passed to Concatenate: \{'axes': 1\}/);
    expect(() => weft.input({ shape: [2], shap: [3] } as never)).toThrow(/passed to InputLayer: \{'shap': \[3\]\}/);
  });

  it('Keras options weft lacks are refused by name, not dropped', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => weft.layers.dense({ units: 3, batchSize: 8 } as never), /`batchSize` of Dense/],
      [() => weft.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true } as never), /`maskZero` of Embedding.*maskZero=true/],
      [() => weft.layers.dropout({ rate: 0.1, dtype: 'int32' } as never), /`dtype` of Dropout/],
      [() => weft.input({ shape: [2], batchSize: 8 } as never), /`batchSize` of InputLayer/],
    ];
    for (const [call, message] of cases) expect(call).toThrow(RangeError), expect(call).toThrow(message);
  });

  it('options given at their only implemented value, or undefined, are accepted', () => {
    const layer = weft.layers.dense({ units: 3, trainable: true, dtype: 'float32', activation: undefined } as never);
    const out = layer.apply(weft.input({ shape: [4] }));
    expect(out.shape).toEqual([null, 3]);
  });

  it('a non-object config is a TypeError naming config', () => {
    expect(() => weft.layers.dense(3 as never)).toThrow(TypeError);
    expect(() => weft.layers.dense(null as never)).toThrow(/`config`/);
  });
});
