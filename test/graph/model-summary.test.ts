import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it, vi } from 'vitest';
import * as weft from '../../src/index.js';
import { expectPadded, SEED1_SUMMARY, text } from '../support/keras-summary.js';
import { weftSeedModel } from '../support/seed-models.js';
import { onCpu } from '../support/cpu.js';

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

/**
 * One graph with a shared Dense layer applied to two inputs, built by `lib`: heads on each
 * application, then a concatenate of both heads and the second application. With `outside`, the
 * shared layer is first applied to an input that is not part of the model.
 */
function sharedGraph<T>(
  lib: { input: (c: { shape: number[]; name: string }) => T; dense: (c: { units: number; name: string }) => { apply: (x: T) => unknown }; concatenate: (name: string, xs: T[]) => T },
  outside: boolean,
): { inputs: T[]; outputs: T } {
  const inA = lib.input({ shape: [4], name: 'in_a' });
  const inB = lib.input({ shape: [4], name: 'in_b' });
  const shared = lib.dense({ units: 3, name: 'shared' });
  if (outside) shared.apply(lib.input({ shape: [4], name: 'elsewhere' }));
  const sa = shared.apply(inA) as T;
  const sb = shared.apply(inB) as T;
  const headA = lib.dense({ units: 2, name: 'head_a' }).apply(sa) as T;
  const headB = lib.dense({ units: 2, name: 'head_b' }).apply(sb) as T;
  return { inputs: [inA, inB], outputs: lib.concatenate('cat', [headA, headB, sb]) };
}

function weftShared(outside: boolean): weft.Model {
  const g = sharedGraph<weft.SymbolicTensor>({
    input: (c) => weft.input(c),
    dense: (c) => weft.layers.dense(c),
    concatenate: (name, xs) => weft.layers.concatenate(xs, { name }),
  }, outside);
  return weft.model({ ...g, name: 'shared_model', seed: 1 });
}

async function tflSharedSummary(outside: boolean): Promise<string[]> {
  return onCpu(() => {
    const g = sharedGraph<tfl.SymbolicTensor>({
      input: (c) => tfl.input(c),
      dense: (c) => tfl.layers.dense(c) as unknown as { apply: (x: tfl.SymbolicTensor) => unknown },
      concatenate: (name, xs) => tfl.layers.concatenate({ name }).apply(xs) as tfl.SymbolicTensor,
    }, outside);
    const lines: string[] = [];
    tfl.model({ ...g, name: 'shared_model' }).summary(undefined, undefined, (line: string) => lines.push(line));
    return lines;
  });
}

/**
 * Layer name → its connections, read off a summary table: `nameEnd` is where the name column
 * ends, `from` where the connections column starts; a row without a name continues the last one.
 */
function connectionsOf(lines: string[], nameEnd: number, from: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of lines) {
    if (/^[_=]+$/.test(line) || line.trim() === '' || /^(Model:|Total|Trainable|Non-trainable|\s*Layer \(type\))/.test(line)) continue;
    const name = line.slice(0, nameEnd).trim();
    if (name !== '') {
      current = [];
      out.set(name.replace(/ \(.*$/, ''), current);
    }
    const cell = line.slice(from);
    current?.push(...(cell.match(/[\w.]+\[\d+\]\[\d+\]/g) ?? []));
  }
  return out;
}

describe('summary() Connected to for a layer called twice', () => {
  it('consumers of the second application read shared[1][0], in Keras 2.10 text', () => {
    const lines = capture(weftShared(false));
    expect(lines.map((l) => l.trimEnd())).toEqual(text(`
    |Model: "shared_model"
    |__________________________________________________________________________________________________
    | Layer (type)                   Output Shape         Param #     Connected to
    |==================================================================================================
    | in_a (InputLayer)              [(None, 4)]          0           []
    |
    | in_b (InputLayer)              [(None, 4)]          0           []
    |
    | shared (Dense)                 (None, 3)            15          ['in_a[0][0]',
    |                                                                  'in_b[0][0]']
    |
    | head_a (Dense)                 (None, 2)            8           ['shared[0][0]']
    |
    | head_b (Dense)                 (None, 2)            8           ['shared[1][0]']
    |
    | cat (Concatenate)              (None, 7)            0           ['head_a[0][0]',
    |                                                                  'head_b[0][0]',
    |                                                                  'shared[1][0]']
    |
    |==================================================================================================
    |Total params: 31
    |Trainable params: 31
    |Non-trainable params: 0
    |__________________________________________________________________________________________________
    `));
    expectPadded(lines, 98);
  });

  for (const outside of [false, true]) {
    it(`every layer's connections equal tfjs-layers' for the same graph${outside ? ', with a call of the shared layer outside the model' : ''}`, async () => {
      const reference = connectionsOf(await tflSharedSummary(outside), 27, 92);
      const ours = connectionsOf(capture(weftShared(outside)), 33, 65);
      expect([...ours.keys()]).toEqual(['in_a', 'in_b', 'shared', 'head_a', 'head_b', 'cat']);
      expect(ours).toEqual(reference);
      // Keras counts every call of a layer: the call outside the model is node 0.
      expect(ours.get('head_b')).toEqual([outside ? 'shared[2][0]' : 'shared[1][0]']);
    });
  }

  it('the symbolic tensors carry the node index of their application', () => {
    const x = weft.input({ shape: [2] });
    const shared = weft.layers.dense({ units: 2 });
    const first = shared.apply(x);
    const second = shared.apply(first);
    expect([first.nodeIndex, second.nodeIndex, x.nodeIndex]).toEqual([0, 1, 0]);
    expect([first.tensorIndex, second.tensorIndex]).toEqual([0, 0]);
  });
});
