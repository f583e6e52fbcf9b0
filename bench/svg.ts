/**
 * The scaling plot: samples/s against workers (weft) or threads (peers), one panel per model, as a
 * self-contained SVG string with no dependencies, drawn from a SuiteResult alone so a committed
 * JSON can be re-plotted.
 *
 * The x axis is linear from 0, not log2: on a linear axis ideal scaling is a straight line through
 * the origin, so the distance from it reads directly as lost throughput, and 12 and 16 workers keep
 * their real spacing. Skipped peers have no rate and are left out here; the Markdown table lists them.
 */
import type { ModelResult, SuiteResult } from './results.js';
import { idealPerWorker } from './results.js';
import type { Summary } from './stats.js';
import { escapeXml, niceTicks } from '../src/train/plots/svg-kit.js';

export { escapeXml, niceTicks };

export interface SvgOptions {
  /** Width of one panel in px (default 600). */
  readonly width?: number;
  /** Height of one panel in px (default 360). */
  readonly height?: number;
}

type Marker = 'circle' | 'square' | 'triangle' | 'diamond';

interface Style {
  readonly label: string;
  readonly color: string;
  readonly marker: Marker;
}

/** One plotted series: a name for the legend, and its points sorted by x. */
interface Series extends Style {
  readonly key: string;
  readonly points: readonly { readonly x: number; readonly rate: Summary }[];
}

const STYLES: Readonly<Record<string, Style>> = {
  weft: { label: 'weft', color: '#1f77b4', marker: 'circle' },
  pytorch: { label: 'PyTorch (CPU)', color: '#d62728', marker: 'square' },
  'tfjs-layers-wasm': { label: 'tfjs-layers wasm', color: '#2ca02c', marker: 'triangle' },
  'tfjs-layers-cpu': { label: 'tfjs-layers cpu', color: '#9467bd', marker: 'diamond' },
};
const IDEAL_COLOR = '#7f7f7f';
/** Room around the plot area: the title above, tick labels left and below, the legend on the right. */
const MARGIN = { top: 40, right: 160, bottom: 48, left: 64 };
const SUITE_HEADER = 36;

/** 950 → "950", 12000 → "12k", 1500000 → "1.5M": short enough for tick labels. */
function compact(value: number): string {
  if (value >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (value >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return `${Number(value.toPrecision(3))}`;
}

const fmt = (v: number): string => v.toFixed(1);
const rate = (v: number): string => Math.round(v).toLocaleString('en-US');

/** weft's points, then each peer that has at least one measured rate, in the order they appear. */
function seriesOf(model: ModelResult): Series[] {
  const out: Series[] = [];
  if (model.weft.length > 0) {
    const points = [...model.weft].sort((a, b) => a.workers - b.workers).map((p) => ({ x: p.workers, rate: p.samplesPerSec }));
    out.push({ key: 'weft', ...STYLES.weft, points });
  }
  for (const peer of new Set(model.peers.map((p) => p.peer))) {
    const points = model.peers
      .filter((p) => p.peer === peer && p.samplesPerSec !== undefined)
      .sort((a, b) => a.threads - b.threads)
      .map((p) => ({ x: p.threads, rate: p.samplesPerSec! }));
    if (points.length > 0) out.push({ key: peer, ...STYLES[peer], points });
  }
  return out;
}

/** A marker centred on (x, y); `inner` is its content (a hover title), `attrs` extra attributes. */
function markerSvg(marker: Marker, x: number, y: number, color: string, attrs = '', inner = ''): string {
  const r = 4;
  const [tag, geometry] = {
    circle: ['circle', `cx="${fmt(x)}" cy="${fmt(y)}" r="${r}"`],
    square: ['rect', `x="${fmt(x - r)}" y="${fmt(y - r)}" width="${2 * r}" height="${2 * r}"`],
    triangle: ['polygon', `points="${fmt(x)},${fmt(y - r - 1)} ${fmt(x + r + 1)},${fmt(y + r)} ${fmt(x - r - 1)},${fmt(y + r)}"`],
    diamond: ['polygon', `points="${fmt(x)},${fmt(y - r - 1)} ${fmt(x + r + 1)},${fmt(y)} ${fmt(x)},${fmt(y + r + 1)} ${fmt(x - r - 1)},${fmt(y)}"`],
  }[marker];
  const open = `<${tag} ${geometry} fill="${color}"${attrs === '' ? '' : ` ${attrs}`}`;
  return inner === '' ? `${open}/>` : `${open}>${inner}</${tag}>`;
}

function polyline(points: readonly [number, number][], stroke: string, extra = ''): string {
  return `<polyline fill="none" stroke="${stroke}" stroke-width="2"${extra} points="${points.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ')}"/>`;
}

/** Linear maps from data to panel pixels, with the ticks each axis shows. */
function scales(model: ModelResult, series: readonly Series[], width: number, height: number) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xTicks = niceTicks(Math.max(1, ...xs), 8, 1);
  const xMax = xTicks[xTicks.length - 1];
  const perWorker = idealPerWorker(model.weft);
  // A single weft point at the right edge has no line to draw: its ideal is the point itself.
  const from = Math.min(...model.weft.map((p) => p.workers));
  const ideal = perWorker === undefined || from >= xMax ? undefined : { from, perWorker };
  const idealTop = ideal === undefined ? 0 : ideal.perWorker * xMax;
  const yTicks = niceTicks(Math.max(idealTop, ...series.flatMap((s) => s.points.map((p) => p.rate.max))), 5);
  const yMax = yTicks[yTicks.length - 1];
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  return {
    xTicks, yTicks, xMax, ideal,
    x: (v: number) => MARGIN.left + (v / xMax) * plotW,
    y: (v: number) => MARGIN.top + plotH - (v / yMax) * plotH,
  };
}
type Scales = ReturnType<typeof scales>;

function axesSvg(s: Scales, width: number, height: number): string[] {
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const bottom = height - MARGIN.bottom;
  const out = [`<g class="axes" stroke="#333" fill="#333" data-x-max="${s.xMax}" data-y-max="${s.yTicks[s.yTicks.length - 1]}">`];
  for (const t of s.yTicks) {
    out.push(`<line x1="${left}" x2="${right}" y1="${fmt(s.y(t))}" y2="${fmt(s.y(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${fmt(s.y(t) + 4)}" text-anchor="end" stroke="none">${compact(t)}</text>`);
  }
  for (const t of s.xTicks) {
    out.push(`<line x1="${fmt(s.x(t))}" x2="${fmt(s.x(t))}" y1="${bottom}" y2="${bottom + 5}"/>`);
    out.push(`<text x="${fmt(s.x(t))}" y="${bottom + 18}" text-anchor="middle" stroke="none">${t}</text>`);
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}"/>`, `<line x1="${left}" x2="${left}" y1="${MARGIN.top}" y2="${bottom}"/>`);
  out.push(`<text x="${fmt((left + right) / 2)}" y="${height - 10}" text-anchor="middle" stroke="none">workers (weft) · threads (peers)</text>`);
  out.push(`<text transform="translate(14 ${fmt((MARGIN.top + bottom) / 2)}) rotate(-90)" text-anchor="middle" stroke="none">samples/s</text>`, '</g>');
  return out;
}

function idealSvg(s: Scales): string[] {
  if (s.ideal === undefined) return [];
  const { from, perWorker } = s.ideal;
  const line: [number, number][] = [[s.x(from), s.y(from * perWorker)], [s.x(s.xMax), s.y(s.xMax * perWorker)]];
  return [`<g class="ideal">`, polyline(line, IDEAL_COLOR, ' stroke-dasharray="6 4"'), '</g>'];
}

/** A series' line (when it has more than one point), min–max whiskers, and markers with a hover title. */
function seriesSvg(series: Series, s: Scales): string[] {
  const out = [`<g class="series" data-series="${escapeXml(series.key)}">`];
  if (series.points.length > 1) out.push(polyline(series.points.map((p) => [s.x(p.x), s.y(p.rate.median)]), series.color));
  for (const p of series.points) {
    const x = s.x(p.x);
    if (p.rate.max > p.rate.min) {
      const [lo, hi] = [s.y(p.rate.min), s.y(p.rate.max)];
      out.push(`<path class="whisker" stroke="${series.color}" d="M${fmt(x)} ${fmt(lo)}V${fmt(hi)}M${fmt(x - 4)} ${fmt(lo)}H${fmt(x + 4)}M${fmt(x - 4)} ${fmt(hi)}H${fmt(x + 4)}"/>`);
    }
    const title = `${series.label} at ${p.x}: ${rate(p.rate.median)} samples/s (min ${rate(p.rate.min)}, max ${rate(p.rate.max)})`;
    out.push(markerSvg(series.marker, x, s.y(p.rate.median), series.color, `class="marker" data-series="${escapeXml(series.key)}"`, `<title>${escapeXml(title)}</title>`));
  }
  out.push('</g>');
  return out;
}

function legendSvg(series: readonly Series[], hasIdeal: boolean, width: number): string[] {
  const x = width - MARGIN.right + 16;
  const rows: string[] = [];
  let y = MARGIN.top + 6;
  const entry = (sample: string, label: string) => {
    rows.push(sample, `<text x="${x + 30}" y="${y + 4}">${escapeXml(label)}</text>`);
    y += 18;
  };
  for (const s of series) {
    entry(polyline([[x, y], [x + 22, y]], s.color) + markerSvg(s.marker, x + 11, y, s.color), s.label);
    // The ideal line is drawn from weft's own rate, so its entry sits right under weft's.
    if (s.key === 'weft' && hasIdeal) entry(polyline([[x, y], [x + 22, y]], IDEAL_COLOR, ' stroke-dasharray="6 4"'), 'ideal scaling');
  }
  return [`<g class="legend">`, ...rows, '</g>'];
}

/** One model's panel as SVG elements with its top-left corner at (0, 0). */
function panelSvg(model: ModelResult, width: number, height: number): string {
  const series = seriesOf(model);
  const s = scales(model, series, width, height);
  const title = `${model.name} — batch ${model.batch.toLocaleString('en-US')}`;
  const centre = (MARGIN.left + width - MARGIN.right) / 2;
  const out = [`<text x="${fmt(centre)}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`, ...axesSvg(s, width, height)];
  if (series.length === 0) out.push(`<text x="${fmt(centre)}" y="${fmt(height / 2)}" text-anchor="middle">no measurements</text>`);
  // Drawn last to first so that weft's line and markers lie on top of the peers'.
  out.push(...idealSvg(s), ...[...series].reverse().flatMap((x) => seriesSvg(x, s)), ...legendSvg(series, s.ideal !== undefined, width));
  return out.join('\n');
}

function svgDocument(width: number, height: number, body: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

/** One model's scaling plot: weft with whiskers, the dashed ideal line, and the measured peers. */
export function scalingSvg(model: ModelResult, opts: SvgOptions = {}): string {
  const { width = 600, height = 360 } = opts;
  return svgDocument(width, height, panelSvg(model, width, height));
}

/** Every model of a suite in one SVG: a header naming the machine and date, then panels two to a row. */
export function suiteSvg(result: SuiteResult, opts: SvgOptions = {}): string {
  const { width = 600, height = 360 } = opts;
  const cols = Math.min(2, Math.max(1, result.models.length));
  const rows = Math.ceil(result.models.length / cols);
  const m = result.machine;
  // Short enough for one panel's width: the JSON beside the plot holds the rest.
  const header = `weft — ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${result.date.slice(0, 10)}`;
  const body = [`<text x="12" y="24" font-size="14">${escapeXml(header)}</text>`];
  for (const [i, model] of result.models.entries()) {
    const [x, y] = [(i % cols) * width, SUITE_HEADER + Math.floor(i / cols) * height];
    body.push(`<g transform="translate(${x} ${y})">`, panelSvg(model, width, height), '</g>');
  }
  return svgDocument(cols * width, SUITE_HEADER + rows * height, body.join('\n'));
}
