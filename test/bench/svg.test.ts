import { describe, expect, it } from 'vitest';
import type { ModelResult } from '../../bench/results.js';
import { withEfficiency } from '../../bench/results.js';
import { escapeXml, niceTicks, scalingSvg, suiteSvg } from '../../bench/svg.js';
import { around, convnetResult, mlpResult, suiteResult } from './fixtures.js';

interface Element {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
}

/** A bare '&' that starts no entity reference: not well-formed XML. */
const BARE_AMPERSAND = /&(?!(?:#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);)/i;

/**
 * A tiny XML checker, enough for what svg.ts writes: every tag well formed, every attribute value
 * quoted, closing tags matching, one root element, no raw '<' or bare '&' in text or attributes.
 * Returns the elements in document order.
 */
function parseXml(xml: string): Element[] {
  const body = xml.replace(/^<\?xml [^?]*\?>/, '');
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  const elements: Element[] = [];
  const open: string[] = [];
  let roots = 0;
  let at = 0;
  for (;;) {
    const lt = body.indexOf('<', at);
    const text = body.slice(at, lt === -1 ? undefined : lt);
    if (BARE_AMPERSAND.test(text)) throw new Error(`bare & in text: ${text}`);
    if (open.length === 0 && text.trim() !== '') throw new Error(`text outside the root: ${text}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (m === null) throw new Error(`malformed tag: ${body.slice(lt, lt + 80)}`);
    const [whole, closing, name, attrText, selfClosing] = m;
    if (closing === '/') {
      if (attrText !== '' || selfClosing !== '') throw new Error(`malformed closing tag: ${whole}`);
      if (open.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else {
      const attrs = Object.fromEntries([...attrText.matchAll(/([\w:.-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
      for (const value of Object.values(attrs)) if (BARE_AMPERSAND.test(value)) throw new Error(`bare & in attribute: ${value}`);
      if (open.length === 0) roots++;
      elements.push({ name, attrs });
      if (selfClosing !== '/') open.push(name);
    }
    at = lt + whole.length;
  }
  if (open.length > 0) throw new Error(`unclosed: ${open.join(' > ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
  return elements;
}

const markers = (els: readonly Element[], series: string) => els.filter((e) => e.attrs.class === 'marker' && e.attrs['data-series'] === series);
/** The SVG text of one series' group. */
function seriesGroup(svg: string, series: string): string {
  const from = svg.indexOf(`<g class="series" data-series="${series}">`);
  if (from === -1) throw new Error(`no ${series} series`);
  return svg.slice(from, svg.indexOf('</g>', from));
}
const numbers = (text: string) => (text.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
/** The y of a marker's centre, whatever its shape. */
function centreY(e: Element): number {
  if (e.name === 'circle') return Number(e.attrs.cy);
  if (e.name === 'rect') return Number(e.attrs.y) + Number(e.attrs.height) / 2;
  const ys = numbers(e.attrs.points).filter((_, i) => i % 2 === 1);
  return (Math.min(...ys) + Math.max(...ys)) / 2;
}

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 × 10^k and ends at or above the maximum', () => {
    expect(niceTicks(37_400)).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(niceTicks(16, 8, 1)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
    expect(niceTicks(0.7)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(2_600, 5)).toEqual([0, 1000, 2000, 3000]);
    expect(niceTicks(2_400, 5)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  });

  it('never steps below minStep, and gives an axis for a maximum of 0', () => {
    expect(niceTicks(1, 8, 1)).toEqual([0, 1]);
    expect(niceTicks(3, 8, 1)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0, 5, 1)).toEqual([0, 1]);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials and nothing else', () => {
    expect(escapeXml(`a<b & "c" 'd'> é`)).toBe('a&#60;b &#38; &#34;c&#34; &#39;d&#39;&#62; é');
  });
});

describe('scalingSvg', () => {
  const model = mlpResult();
  const svg = scalingSvg(model);
  const els = parseXml(svg);

  it('is well-formed XML with an svg root', () => {
    expect(els[0].name).toBe('svg');
    expect(els[0].attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  });

  it('draws one weft marker per point, joined by a line, with a whisker per point', () => {
    expect(markers(els, 'weft')).toHaveLength(model.weft.length);
    const weftGroup = seriesGroup(svg, 'weft');
    expect(weftGroup.match(/<polyline /g)).toHaveLength(1);
    expect(weftGroup.match(/class="whisker"/g)).toHaveLength(model.weft.length);
  });

  it('draws the dashed ideal line from the 1-worker marker, rising N times as fast', () => {
    const ideal = els.find((e, i) => e.name === 'polyline' && els[i - 1]?.attrs.class === 'ideal');
    expect(ideal?.attrs['stroke-dasharray']).toBeDefined();
    const [x0, y0, x1, y1] = numbers(ideal!.attrs.points);
    const one = markers(els, 'weft')[0];
    expect([x0, y0]).toEqual([Number(one.attrs.cx), Number(one.attrs.cy)]);
    // Pixels are linear from (0 workers, 0 samples/s): the ideal line's slope is 1-worker's rate / 1 worker.
    const axes = els.find((e) => e.attrs.class === 'axes')!;
    const bottom = Math.max(...els.filter((e) => e.name === 'line').map((e) => Number(e.attrs.y1)));
    const rateAt = (y: number) => ((bottom - y) / (bottom - 40)) * Number(axes.attrs['data-y-max']);
    expect(rateAt(y1)).toBeCloseTo(Number(axes.attrs['data-x-max']) * 10_000, -1);
  });

  it('draws PyTorch as a line over its thread counts and the one-point wasm peer as a marker only', () => {
    expect(markers(els, 'pytorch')).toHaveLength(3);
    expect(markers(els, 'tfjs-layers-wasm')).toHaveLength(1);
    expect(seriesGroup(svg, 'pytorch')).toContain('<polyline');
    expect(seriesGroup(svg, 'tfjs-layers-wasm')).not.toContain('<polyline');
  });

  it('leaves a skipped peer out of the plot and the legend', () => {
    expect(svg).not.toContain('tfjs-layers-cpu');
    expect(svg).not.toContain('tfjs-layers cpu');
    expect(svg).toContain('tfjs-layers wasm');
  });

  it('makes the y axis reach above the largest max, and keeps every marker inside the plot', () => {
    const fast = mlpResult({ peers: [{ peer: 'pytorch', threads: 2, samplesPerSec: { median: 60_000, min: 50_000, max: 91_000 } }] });
    const e = parseXml(scalingSvg(fast));
    const axes = e.find((x) => x.attrs.class === 'axes')!;
    expect(Number(axes.attrs['data-y-max'])).toBeGreaterThanOrEqual(91_000);
    const height = Number(e[0].attrs.height);
    for (const m of [...markers(e, 'weft'), ...markers(e, 'pytorch')]) {
      expect(centreY(m)).toBeGreaterThanOrEqual(40);
      expect(centreY(m)).toBeLessThanOrEqual(height - 48);
    }
    const whiskerTops = e.filter((x) => x.attrs.class === 'whisker').map((x) => Math.min(...numbers(x.attrs.d).filter((_, i) => i % 2 === 1)));
    expect(Math.min(...whiskerTops)).toBeGreaterThanOrEqual(40);
  });

  it('escapes a model name with < and &', () => {
    const out = scalingSvg(mlpResult({ name: 'MLP <wide> & "fast"' }));
    expect(() => parseXml(out)).not.toThrow();
    expect(out).toContain('MLP &#60;wide&#62; &#38; &#34;fast&#34;');
    expect(out).not.toContain('<wide>');
  });

  it('still renders a model with only one weft point, without lines', () => {
    const single = mlpResult({ weft: withEfficiency([{ workers: 1, samplesPerSec: around(1000) }]), peers: [] });
    const out = scalingSvg(single);
    const e = parseXml(out);
    expect(markers(e, 'weft')).toHaveLength(1);
    expect(out).not.toContain('class="ideal"');
    expect(seriesGroup(out, 'weft')).not.toContain('<polyline');
    expect(Number(e.find((x) => x.attrs.class === 'axes')!.attrs['data-y-max'])).toBeGreaterThanOrEqual(1100);
  });

  it('says so when a model has no measurements at all', () => {
    const empty: ModelResult = mlpResult({ weft: [], peers: [{ peer: 'pytorch', threads: 1, skipped: 'no torch' }] });
    const out = scalingSvg(empty);
    expect(() => parseXml(out)).not.toThrow();
    expect(out).toContain('no measurements');
  });

  it('honours the requested size', () => {
    const root = parseXml(scalingSvg(model, { width: 800, height: 500 }))[0];
    expect([root.attrs.width, root.attrs.height, root.attrs.viewBox]).toEqual(['800', '500', '0 0 800 500']);
  });
});

describe('scalingSvg for the convnet', () => {
  const svg = scalingSvg(convnetResult());
  const els = parseXml(svg);

  it('plots weft and PyTorch only when both tfjs-layers peers are skipped, under the model name and batch', () => {
    expect(markers(els, 'weft')).toHaveLength(2);
    expect(markers(els, 'pytorch')).toHaveLength(2);
    expect(svg).not.toContain('tfjs-layers');
    expect(svg).toContain('Keras MNIST convnet (Conv2D 32-64, dropout 0.5) — batch 128');
  });
});

describe('suiteSvg', () => {
  it('lays three models out two to a row under a header naming the machine', () => {
    const models = ['a', 'b', 'c'].map((key) => mlpResult({ key, name: `model ${key}` }));
    const out = suiteSvg(suiteResult(models));
    const e = parseXml(out);
    expect([e[0].attrs.width, e[0].attrs.height]).toEqual(['1200', String(36 + 2 * 360)]);
    const panels = e.filter((x) => x.name === 'g' && x.attrs.transform?.startsWith('translate('));
    expect(panels.map((p) => p.attrs.transform)).toEqual(['translate(0 36)', 'translate(600 36)', 'translate(0 396)']);
    expect(markers(e, 'weft')).toHaveLength(9);
    expect(out).toContain('AMD EPYC 7B13, 2 cores');
  });
});
