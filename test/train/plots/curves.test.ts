import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import { niceRange } from '../../../src/train/plots/svg-kit.js';
import { disposeAfterEach } from '../../support/dispose.js';
import { attributeOf, expectWellFormedSvg } from '../../support/svg-reading.js';

const track = disposeAfterEach();
const tmp = () => mkdtempSync(join(tmpdir(), 'weft-curves-'));

describe('curvesSvg', () => {
  it('draws one curve per History key and a panel per quantity, from a real fit', async () => {
    const inputs = weft.input({ shape: [3] });
    const model = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 2, activation: 'softmax' }).apply(inputs), seed: 1 }));
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(i), i / 20]);
    const history = await model.fit(x, x.map((r) => (r[0] > 0 ? 1 : 0)), { epochs: 4, batchSize: 5, validationSplit: 0.25, workers: 1, verbose: 0, seed: 2 });
    const svg = weft.curvesSvg(history, { title: 'a <small> & "quoted" run' });
    expectWellFormedSvg(svg);
    expect(attributeOf(svg, 'path', 'curve', 'data-key').sort()).toEqual(Object.keys(history.history).sort());
    expect(attributeOf(svg, 'g', 'panel', 'data-quantity')).toEqual(['loss', 'accuracy']);
    // Four points per curve: one move, three lines.
    for (const d of attributeOf(svg, 'path', 'curve', 'd')) expect(d.match(/[ML]/g)).toEqual(['M', 'L', 'L', 'L']);
    expect(svg).toContain('a &#60;small&#62; &#38; &#34;quoted&#34; run');
  });

  it('higher values are drawn higher, and a non-finite value (null in JSON) breaks the curve', () => {
    const svg = weft.curvesSvg({ epoch: [0, 1, 2, 3], history: { loss: [1, 2, Number.NaN, 4], val_loss: [3, null as unknown as number, 1, 1] } });
    expectWellFormedSvg(svg);
    const [train, val] = attributeOf(svg, 'path', 'curve', 'd');
    const ys = (d: string) => [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    expect(train.match(/[ML]/g)).toEqual(['M', 'L', 'M']);
    expect(ys(train)[0]).toBeGreaterThan(ys(train)[1]); // loss 1 is lower on the page than 2 (SVG y grows down)
    expect(val.match(/[ML]/g)).toEqual(['M', 'M', 'L']);
  });

  it('a History with only validation values, or one epoch, still draws', () => {
    const svg = weft.curvesSvg({ epoch: [4], history: { val_loss: [0.3] } });
    expectWellFormedSvg(svg);
    expect(attributeOf(svg, 'path', 'curve', 'data-key')).toEqual(['val_loss']);
  });

  it('ticks are round numbers covering the data', () => {
    expect(niceRange(0.27, 0.93)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceRange(-3, 7)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    const flat = niceRange(5, 5);
    expect(flat[0]).toBeLessThan(5);
    expect(flat.at(-1)).toBeGreaterThan(5);
  });

  it('plotHistory writes the file; bad histories and paths are refused by name', () => {
    const dir = tmp();
    const path = join(dir, 'sub', 'c.svg');
    const svg = weft.plotHistory({ epoch: [0, 1], history: { loss: [1, 0.5] } }, path);
    expect(readFileSync(path, 'utf8')).toBe(svg);
    expect(() => weft.curvesSvg(null as never)).toThrow(/history.*epoch.*null/);
    expect(() => weft.curvesSvg({ epoch: [0, 1], history: { loss: [1] } })).toThrow(/history\.history\.loss.*2 numbers/);
    expect(() => weft.curvesSvg({ epoch: [], history: {} })).toThrow(/history.*at least one epoch/);
    expect(() => weft.plotHistory({ epoch: [0], history: { loss: [1] } }, join(dir, 'c.png'))).toThrow(/path.*'\.svg'.*c\.png/);
    writeFileSync(join(dir, 'file'), '');
    expect(() => weft.plotHistory({ epoch: [0], history: { loss: [1] } }, join(dir, 'file', 'c.svg'))).toThrow(/path.*file\/c\.svg/);
  });
});
