import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import { seed2 } from '../../../src/train/zoo.js';
import { disposeAfterEach } from '../../support/dispose.js';
import { attributeOf, expectWellFormedSvg } from '../../support/svg-reading.js';

const track = disposeAfterEach();

function residual(): weft.Model {
  const x = weft.input({ shape: [6], name: 'x' });
  const h = weft.layers.dense({ units: 6, activation: 'relu', name: 'h' }).apply(x);
  const n = weft.layers.batchNormalization({ name: 'bn' }).apply(h);
  const s = weft.layers.add({ name: 'skip' }).apply([x, n]);
  return track(weft.model({ inputs: x, outputs: weft.layers.dense({ units: 2, name: 'y' }).apply(s) }));
}

/** The connections drawn: 'from>to' for each edge. */
const edges = (svg: string) => attributeOf(svg, 'path', 'edge', 'data-from').map((f, i) => `${f}>${attributeOf(svg, 'path', 'edge', 'data-to')[i]}`).sort();

type Segment = [number, number, number, number];
function segments(d: string): Segment[] {
  const pts = [...d.matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  return pts.slice(1).map((p, i) => [pts[i][0], pts[i][1], p[0], p[1]]);
}
/** Whether two segments cross at a point inside both (touching ends, as edges sharing a box do, is not crossing). */
function cross([a, b, c, d]: Segment, [e, f, g, h]: Segment): boolean {
  const side = (x1: number, y1: number, x2: number, y2: number, px: number, py: number) => Math.sign((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1));
  return side(a, b, c, d, e, f) * side(a, b, c, d, g, h) < 0 && side(e, f, g, h, a, b) * side(e, f, g, h, c, d) < 0;
}

describe('modelSvg / plotModel', () => {
  it('draws one box per layer and one arrow per connection, the merges without crossings', () => {
    for (const model of [track(seed2(64, 1)), residual()]) {
      const svg = weft.modelSvg(model);
      expectWellFormedSvg(svg);
      expect(attributeOf(svg, 'g', 'layer', 'data-name')).toEqual(expect.arrayContaining(model.layers.map((l) => l.name)));
      expect(attributeOf(svg, 'g', 'layer', 'data-name')).toHaveLength(model.layers.length);
      const wired = model.nodes.flatMap((n) => n.inputs.map((t) => `${t.name}>${n.layer.name}`));
      expect(edges(svg)).toEqual([...new Set(wired)].sort());
      const paths = attributeOf(svg, 'path', 'edge', 'd').map(segments);
      for (let i = 0; i < paths.length; i++) {
        for (let j = i + 1; j < paths.length; j++) {
          for (const s of paths[i]) for (const t of paths[j]) expect(cross(s, t)).toBe(false);
        }
      }
    }
  });

  it("writes Keras's plot_model lines: class names by default, names, shapes, dtypes, activations and trainable on request", () => {
    const model = residual();
    model.getLayer('h').trainable = false;
    const plain = weft.modelSvg(model);
    expect(plain).toContain('>Dense<');
    expect(plain).not.toContain('Output shape');
    expect(plain).not.toMatch(/>skip|\(Add\)/); // names only in data attributes
    expect(plain).toContain('>Add<');
    const full = weft.modelSvg(model, { showShapes: true, showLayerNames: true, showDtype: true, showTrainable: true, showLayerActivations: true });
    expectWellFormedSvg(full);
    for (const line of ['h (Dense)', 'Activation: relu', 'Input shape: (None, 6)', 'Output shape: (None, 2)', 'Input shape: [(None, 6), (None, 6)]',
      'Output dtype: float32', 'Trainable: no', 'Trainable: yes', 'x (InputLayer)']) {
      expect(full).toContain(`>${line}<`);
    }
    // Layers without weights (InputLayer, Add) get no trainable line.
    expect(full.match(/>Trainable: /g)).toHaveLength(3);
  });

  it('a shared layer is one box with an arrow per use', () => {
    const a = weft.input({ shape: [4], name: 'a' });
    const b = weft.input({ shape: [4], name: 'b' });
    const shared = weft.layers.dense({ units: 3, name: 'shared' });
    const model = track(weft.model({ inputs: [a, b], outputs: weft.layers.concatenate({ name: 'cat' }).apply([shared.apply(a), shared.apply(b)]) }));
    const svg = weft.modelSvg(model);
    expect(attributeOf(svg, 'g', 'layer', 'data-name').sort()).toEqual(['a', 'b', 'cat', 'shared']);
    expect(edges(svg)).toEqual(['a>shared', 'b>shared', 'shared>cat']);
  });

  it('a nested model is one box, or with expandNested its layers in a frame, wired through', () => {
    const ix = weft.input({ shape: [5], name: 'inner_in' });
    const inner = track(weft.model({ inputs: ix, outputs: weft.layers.dense({ units: 3, name: 'code' }).apply(ix), name: 'encoder' }));
    const x = weft.input({ shape: [5], name: 'outer_in' });
    const z = inner.apply(x) as weft.SymbolicTensor;
    const model = track(weft.model({ inputs: x, outputs: weft.layers.dense({ units: 1, name: 'head' }).apply(z) }));
    const folded = weft.modelSvg(model, { showLayerNames: true });
    expect(attributeOf(folded, 'g', 'layer', 'data-name')).toEqual(['outer_in', 'encoder', 'head']);
    expect(folded).toContain('>encoder (Functional)<');
    const open = weft.modelSvg(model, { expandNested: true });
    expectWellFormedSvg(open);
    expect(attributeOf(open, 'g', 'layer', 'data-name').sort()).toEqual(['encoder/code', 'encoder/inner_in', 'head', 'outer_in']);
    expect(attributeOf(open, 'rect', 'nested', 'data-name')).toEqual(['encoder']);
    expect(edges(open)).toEqual(['encoder/code>head', 'encoder/inner_in>encoder/code', 'outer_in>encoder/inner_in']);
  });

  it("rankdir 'LR' lays a chain out sideways", () => {
    const model = residual();
    const size = (svg: string) => [Number(/width="([\d.]+)"/.exec(svg)![1]), Number(/height="([\d.]+)"/.exec(svg)![1])];
    const [w1, h1] = size(weft.modelSvg(model));
    const [w2, h2] = size(weft.modelSvg(model, { rankdir: 'LR' }));
    expect(h1).toBeGreaterThan(w1);
    expect(w2).toBeGreaterThan(h2);
  });

  it('plotModel writes the SVG; bad models, options and paths are refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-plot-'));
    const model = residual();
    const svg = weft.plotModel(model, join(dir, 'm.svg'), { showShapes: true });
    expect(readFileSync(join(dir, 'm.svg'), 'utf8')).toBe(svg);
    expect(() => weft.plotModel(model, join(dir, 'm.png'))).toThrow(/path.*'\.svg'.*m\.png/);
    expect(() => weft.plotModel(model, '')).toThrow(/path/);
    expect(() => weft.modelSvg({} as never)).toThrow(/model.*weft model/);
    expect(() => weft.modelSvg(model, { rankdir: 'XY' as 'TB' })).toThrow(/rankdir.*TB, LR, BT, RL.*XY/);
    expect(() => weft.modelSvg(model, { showShapes: 'yes' as unknown as boolean })).toThrow(/showShapes.*boolean.*yes/);
    expect(() => weft.modelSvg(model, { dpi: 96 } as never)).toThrow(/dpi/);
  });
});
