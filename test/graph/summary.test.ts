import { describe, expect, it } from 'vitest';
import { formatSummary, isSequentialLike, type SummaryRow } from '../../src/graph/summary.js';
import { expectPadded, SEED1_SUMMARY, text } from '../support/keras-summary.js';

// Expected texts were derived from keras 2.10's print_summary rules (a verbatim Python
// re-run of its print_row on these rows). Lines are compared with trailing spaces trimmed,
// because editors strip them from literals; `expectPadded` then checks the padding separately.

/** A row; `inbound` names the feeding layers, as 'name' (node 0, tensor 0) or 'name[node][tensor]'. */
function row(name: string, className: string, outputShape: (number | null)[], paramCount: number, inbound: string[]): SummaryRow {
  const refs = inbound.map((s) => {
    const [, layer, node, tensor] = /^(.*?)(?:\[(\d+)\]\[(\d+)\])?$/.exec(s) as RegExpExecArray;
    return { layer, nodeIndex: Number(node ?? 0), tensorIndex: Number(tensor ?? 0) };
  });
  return { name, className, outputShape, isInput: className === 'InputLayer', paramCount, inbound: refs };
}

/** Model 1 of the seed: Input(100) -> Dense(128, relu) -> Dropout(0.5) -> Dense(10, softmax). */
const model1 = [
  row('input_1', 'InputLayer', [null, 100], 0, []),
  row('dense', 'Dense', [null, 128], 100 * 128 + 128, ['input_1']),
  row('dropout', 'Dropout', [null, 128], 0, ['dense']),
  row('dense_1', 'Dense', [null, 10], 128 * 10 + 10, ['dropout']),
];

/** Model 2: Dense(256) branching into Dropout->Dense(128) and Dense(128), concatenated, Dropout, Dense(10). */
const model2 = [
  row('input_1', 'InputLayer', [null, 100], 0, []),
  row('dense', 'Dense', [null, 256], 100 * 256 + 256, ['input_1']),
  row('dropout', 'Dropout', [null, 256], 0, ['dense']),
  row('dense_1', 'Dense', [null, 128], 256 * 128 + 128, ['dropout']),
  row('dense_2', 'Dense', [null, 128], 256 * 128 + 128, ['dense']),
  row('concatenate', 'Concatenate', [null, 256], 0, ['dense_1', 'dense_2']),
  row('dropout_1', 'Dropout', [null, 256], 0, ['concatenate']),
  row('dense_3', 'Dense', [null, 10], 256 * 10 + 10, ['dropout_1']),
];

/** Model 3: Input(50, int32) -> Embedding(1000, 64) -> Flatten -> Dense(256) -> Dropout -> Dense(10). */
const model3 = [
  row('input_1', 'InputLayer', [null, 50], 0, []),
  row('embedding', 'Embedding', [null, 50, 64], 1000 * 64, ['input_1']),
  row('flatten', 'Flatten', [null, 3200], 0, ['embedding']),
  row('dense', 'Dense', [null, 256], 3200 * 256 + 256, ['flatten']),
  row('dropout', 'Dropout', [null, 256], 0, ['dense']),
  row('dense_1', 'Dense', [null, 10], 256 * 10 + 10, ['dropout']),
];

function totalsOf(rows: readonly SummaryRow[]) {
  const total = rows.reduce((sum, r) => sum + r.paramCount, 0);
  return { total, trainable: total, nonTrainable: 0 };
}

describe('isSequentialLike', () => {
  it('accepts single chains and rejects branches, merges and several inputs', () => {
    expect(isSequentialLike(model1)).toBe(true);
    expect(isSequentialLike(model3)).toBe(true);
    expect(isSequentialLike(model2)).toBe(false);
    expect(isSequentialLike([])).toBe(true);
    expect(isSequentialLike([row('a', 'InputLayer', [null, 1], 0, []), row('b', 'InputLayer', [null, 1], 0, [])])).toBe(false);
    // A chain listed out of order is not what Keras's layer order would give.
    expect(isSequentialLike([model1[0]!, model1[2]!, model1[1]!])).toBe(false);
  });
});

describe('formatSummary', () => {
  it('prints model 1 in the 65-column sequential layout', () => {
    const lines = formatSummary('model', model1, totalsOf(model1));
    expect(lines.map((l) => l.trimEnd())).toEqual(SEED1_SUMMARY);
    expectPadded(lines, 65);
  });

  it('prints model 2 in the 98-column layout with Connected to', () => {
    const lines = formatSummary('model', model2, totalsOf(model2));
    expect(lines.map((l) => l.trimEnd())).toEqual(text(`
    |Model: "model"
    |__________________________________________________________________________________________________
    | Layer (type)                   Output Shape         Param #     Connected to
    |==================================================================================================
    | input_1 (InputLayer)           [(None, 100)]        0           []
    |
    | dense (Dense)                  (None, 256)          25856       ['input_1[0][0]']
    |
    | dropout (Dropout)              (None, 256)          0           ['dense[0][0]']
    |
    | dense_1 (Dense)                (None, 128)          32896       ['dropout[0][0]']
    |
    | dense_2 (Dense)                (None, 128)          32896       ['dense[0][0]']
    |
    | concatenate (Concatenate)      (None, 256)          0           ['dense_1[0][0]',
    |                                                                  'dense_2[0][0]']
    |
    | dropout_1 (Dropout)            (None, 256)          0           ['concatenate[0][0]']
    |
    | dense_3 (Dense)                (None, 10)           2570        ['dropout_1[0][0]']
    |
    |==================================================================================================
    |Total params: 94,218
    |Trainable params: 94,218
    |Non-trainable params: 0
    |__________________________________________________________________________________________________
    `));
    expectPadded(lines, 98);
  });

  it('prints model 3 totals with thousands separators', () => {
    const lines = formatSummary('model', model3, totalsOf(model3));
    expect(lines).toContain(' embedding (Embedding)       (None, 50, 64)            64000     ');
    expect(lines.slice(-5)).toEqual([
      '='.repeat(65),
      'Total params: 886,026',
      'Trainable params: 886,026',
      'Non-trainable params: 0',
      '_'.repeat(65),
    ]);
    expect(formatSummary('m', [], { total: 1234567, trainable: 1000, nonTrainable: 1233567 }).slice(-4, -1)).toEqual([
      'Total params: 1,234,567',
      'Trainable params: 1,000',
      'Non-trainable params: 1,233,567',
    ]);
  });

  it('wraps cells for a custom lineLength with fractional positions, as Keras 2.10 does', () => {
    // Keras 2.10 prefixes column 0 with a space without shortening it, so a full first cell
    // pushes the rest of that line one column right: copied as is.
    const lines = formatSummary('model', model1, totalsOf(model1), 40, [0.4, 0.75, 1]);
    expect(lines.slice(0, 15).map((l) => l.trimEnd())).toEqual(text(`
    |Model: "model"
    |________________________________________
    | Layer (type)   Output Shape  Param #
    |========================================
    | input_1 (Input  [(None, 100)  0
    | Layer)         ]
    |
    | dense (Dense)  (None, 128)   12928
    |
    | dropout (Dropo  (None, 128)  0
    | ut)
    |
    | dense_1 (Dense  (None, 10)   1290
    | )
    |
    `));
    expectPadded(lines, 40);
  });

  it('accepts absolute column ends and breaks long Connected to cells', () => {
    const lines = formatSummary('model', model2, totalsOf(model2), 60, [20, 34, 42, 60]);
    expect(lines.slice(2, 4).map((l) => l.trimEnd())).toEqual([
      ' Layer (type)       Output Shape  Param   Connected to',
      '                                  #',
    ]);
    const at = lines.findIndex((l) => l.startsWith(' concatenate'));
    expect(lines.slice(at, at + 6).map((l) => l.trimEnd())).toEqual([
      " concatenate (Conca  (None, 256)  0       ['dense_1[0][0]',",
      " tenate)                                   'dense_2[0][0]']",
      '',
      " dropout_1 (Dropout  (None, 256)  0       ['concatenate[0][0",
      " )                                        ]']",
      '',
    ]);
    expectPadded(lines, 60);
  });

  it('prints each connection as layer[nodeIndex][tensorIndex], and a layer fed twice breaks the sequential layout', () => {
    const rows = [
      row('x', 'InputLayer', [null, 4], 0, []),
      row('shared', 'Dense', [null, 4], 20, ['x', 'shared[0][0]']),
      row('out', 'Dense', [null, 1], 5, ['shared[1][0]']),
    ];
    expect(isSequentialLike(rows)).toBe(false);
    const lines = formatSummary('m', rows, totalsOf(rows)).map((l) => l.trimEnd());
    expect(lines.slice(6, 9)).toEqual([
      " shared (Dense)                 (None, 4)            20          ['x[0][0]',",
      "                                                                  'shared[0][0]']",
      '',
    ]);
    expect(lines[9]).toBe(" out (Dense)                    (None, 1)            5           ['shared[1][0]']");
  });

  it('validates lineLength and positions with RangeErrors naming the argument', () => {
    const t = totalsOf(model1);
    expect(() => formatSummary('m', model1, t, 0)).toThrow(new RangeError('Invalid value received for argument `lineLength`. Expected a positive integer. Received: lineLength=0'));
    expect(() => formatSummary('m', model1, t, 64.5)).toThrow(/`lineLength`.*a positive integer.*lineLength=64.5/);
    expect(() => formatSummary('m', model1, t, Number.NaN)).toThrow(RangeError);
    expect(() => formatSummary('m', model1, t, undefined, [0.33, 0.55, 0.67, 1])).toThrow(
      new RangeError('Invalid value received for argument `positions`. Expected 3 entries (one column end per column). Received: positions=[0.33, 0.55, 0.67, 1]'),
    );
    expect(() => formatSummary('m', model2, totalsOf(model2), undefined, [0.45, 0.85, 1])).toThrow(/`positions`.*4 entries.*positions=\[0.45, 0.85, 1\]/);
    expect(() => formatSummary('m', model1, t, undefined, [])).toThrow(/`positions`.*3 entries/);
    expect(() => formatSummary('m', model1, t, undefined, [0.85, 0.45, 1])).toThrow(/`positions`.*strictly increasing.*positions=\[0.85, 0.45, 1\]/);
    expect(() => formatSummary('m', model1, t, undefined, [0, 0.5, 1])).toThrow(/strictly increasing.*positions=\[0, 0.5, 1\]/);
    expect(() => formatSummary('m', model1, t, 10, [0.1, 0.11, 1])).toThrow(
      /lineLength 10 \(these resolve to \[1, 1, 10\]\).*positions=\[0.1, 0.11, 1\]/,
    );
  });
});
