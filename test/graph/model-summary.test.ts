import { describe, expect, it, vi } from 'vitest';
import * as weft from '../../src/index.js';
import { expectPadded, SEED1_SUMMARY } from '../support/keras-summary.js';
import { weftSeedModel } from '../support/seed-models.js';

// The seed models with the names Keras gives their layers in a fresh session, so the summary text
// is deterministic and comparable with Keras's.
const seed1 = (): weft.Model => weftSeedModel(1, { prefix: '', input: 'input_1', model: 'model' });
const seed2 = (): weft.Model => weftSeedModel(2, { prefix: '', input: 'input_1', model: 'model_1' });
const seed3 = (): weft.Model => weftSeedModel(3, { prefix: '', input: 'input_1', model: 'model_2' });

function capture(model: weft.Model, lineLength?: number, positions?: number[]): string[] {
  const lines: string[] = [];
  model.summary(lineLength, positions, (line) => lines.push(line));
  return lines;
}

function totals(lines: string[]): string[] {
  return lines.filter((l) => /^(Total|Trainable|Non-trainable) params: /.test(l));
}

describe('model.summary() of the seed models', () => {
  it('seed 1 prints the full Keras sequential-layout text, every table line 65 wide', () => {
    const lines = capture(seed1());
    expect(lines.map((l) => l.trimEnd())).toEqual(SEED1_SUMMARY);
    expectPadded(lines, 65);
  });

  it('seed 1, 2 and 3 totals are exactly 14,218 / 94,218 / 886,026 with no non-trainable params', () => {
    const expected: [() => weft.Model, string, number][] = [[seed1, '14,218', 14_218], [seed2, '94,218', 94_218], [seed3, '886,026', 886_026]];
    for (const [build, shown, count] of expected) {
      const model = build();
      expect(model.countParams()).toBe(count);
      expect(totals(capture(model))).toEqual([`Total params: ${shown}`, `Trainable params: ${shown}`, 'Non-trainable params: 0']);
    }
  });

  it('seed 2 branches, so it gets the Connected to column; the concatenate row lists both branches', () => {
    const lines = capture(seed2());
    expect(lines[2].trimEnd()).toBe(' Layer (type)                   Output Shape         Param #     Connected to');
    expect(lines[1]).toBe('_'.repeat(98));
    const rows = lines.slice(4, lines.indexOf('='.repeat(98), 4)).map((l) => l.trimEnd()).filter((l) => l !== '');
    expect(rows).toEqual([
      " input_1 (InputLayer)           [(None, 100)]        0           []",
      " dense (Dense)                  (None, 256)          25856       ['input_1[0][0]']",
      " dropout (Dropout)              (None, 256)          0           ['dense[0][0]']",
      " dense_1 (Dense)                (None, 128)          32896       ['dropout[0][0]']",
      " dense_2 (Dense)                (None, 128)          32896       ['dense[0][0]']",
      " concatenate (Concatenate)      (None, 256)          0           ['dense_1[0][0]',",
      "                                                                  'dense_2[0][0]']",
      " dropout_1 (Dropout)            (None, 256)          0           ['concatenate[0][0]']",
      " dense_3 (Dense)                (None, 10)           2570        ['dropout_1[0][0]']",
    ]);
    expect(lines[0]).toBe('Model: "model_1"');
  });

  it('the Connected to column follows the real layer names (default counters)', () => {
    const inputs = weft.input({ shape: [4] });
    const a = weft.layers.dense({ units: 2 }).apply(inputs);
    const b = weft.layers.dense({ units: 3 }).apply(inputs);
    const cat = weft.layers.concatenate([a, b]);
    const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 2, activation: 'softmax' }).apply(cat) });
    const lines = capture(model);
    const at = lines.findIndex((l) => l.startsWith(` ${cat.name} (Concatenate)`));
    expect(at).toBeGreaterThan(0);
    expect(lines[at]).toContain(`['${a.name}[0][0]',`);
    expect(lines[at + 1].trim()).toBe(`'${b.name}[0][0]']`);
  });

  it('seed 3 prints the int32 input, the rank-3 embedding output and the flatten size', () => {
    const lines = capture(seed3()).map((l) => l.trimEnd());
    expect(lines).toContain(' input_1 (InputLayer)        [(None, 50)]              0');
    expect(lines).toContain(' embedding (Embedding)       (None, 50, 64)            64000');
    expect(lines).toContain(' flatten (Flatten)           (None, 3200)              0');
    expect(lines).toContain(' dense (Dense)               (None, 256)               819456');
    expect(lines.some((l) => l.includes('Connected to'))).toBe(false);
    expect(lines[1]).toBe('_'.repeat(65));
  });

  it('lineLength and positions are passed through; printFn defaults to console.log', () => {
    const narrow = capture(seed1(), 40, [0.4, 0.75, 1]);
    expect(narrow[1]).toBe('_'.repeat(40));
    expect(narrow[2].trimEnd()).toBe(' Layer (type)   Output Shape  Param #');
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      seed1().summary();
      expect(spy.mock.calls.map((c) => c[0])).toEqual(capture(seed1()));
    } finally {
      spy.mockRestore();
    }
  });
});
