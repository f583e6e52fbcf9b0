/**
 * Training curves as a self-contained SVG: one panel per quantity (loss, each metric, anything
 * else History recorded), the training value and its 'val_' twin per epoch, with axes, ticks and
 * a legend. Drawn from History's plain shape alone, so a saved history.json draws the same.
 */
import { invalidArgument, invalidType } from '../../errors.js';
import { checkSvgPath, escapeXml, niceRange, tickLabel, writeSvg } from './svg-kit.js';

/** What curvesSvg needs of a History (a saved history.json has it too). */
export interface HistoryLike {
  readonly epoch: readonly number[];
  readonly history: Readonly<Record<string, readonly number[]>>;
}

export interface CurvesOptions {
  /** Above the panels (default 'Training curves'). */
  readonly title?: string;
  /** One panel's size in px (default 420 × 280). */
  readonly panelWidth?: number;
  readonly panelHeight?: number;
  /** Panels per row (default 2, or 1 for a single quantity). */
  readonly columns?: number;
}

const TRAIN = { label: 'train', color: '#1f77b4', dash: '' };
const VAL = { label: 'validation', color: '#ff7f0e', dash: '6 4' };
const MARGIN = { top: 34, right: 16, bottom: 42, left: 58 };
const TITLE_HEIGHT = 34;
const FONT = 'font-family="DejaVu Sans, Arial, Helvetica, sans-serif"';

/** Checks a History-shaped value: epochs, and equal-length number arrays per key. */
export function checkHistory(argument: string, value: unknown): HistoryLike {
  const h = value as Partial<HistoryLike> | null;
  const expected = "a History, or its JSON: { epoch: number[], history: { loss: number[], ... } }";
  if (h === null || typeof h !== 'object' || !Array.isArray(h.epoch) || h.history === null || typeof h.history !== 'object') {
    throw invalidType(argument, expected, value);
  }
  for (const [key, series] of Object.entries(h.history)) {
    if (!Array.isArray(series) || series.length !== h.epoch.length || series.some((v) => typeof v !== 'number' && v !== null)) {
      throw invalidArgument(`${argument}.history.${key}`, `an array of ${h.epoch.length} numbers (one per epoch)`, series);
    }
  }
  return h as HistoryLike;
}

/** The quantities to plot: each key without 'val_', in History's order, with whether it has each series. */
function quantities(history: HistoryLike): { name: string; train?: readonly number[]; val?: readonly number[] }[] {
  const out = new Map<string, { name: string; train?: readonly number[]; val?: readonly number[] }>();
  for (const [key, values] of Object.entries(history.history)) {
    const isVal = key.startsWith('val_');
    const name = isVal ? key.slice(4) : key;
    const q = out.get(name) ?? { name };
    if (isVal) q.val = values;
    else q.train = values;
    out.set(name, q);
  }
  return [...out.values()];
}

/** The path of one series: runs of finite values joined, a gap where a value is NaN or infinite (JSON writes them as null). */
function pathOf(xs: readonly number[], ys: readonly (number | null)[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = 'M';
  ys.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = 'M';
      return;
    }
    d += `${pen}${x(xs[i]).toFixed(1)},${y(v).toFixed(1)}`;
    pen = 'L';
  });
  return d;
}

function panel(q: ReturnType<typeof quantities>[number], epochs: readonly number[], left: number, top: number, width: number, height: number): string {
  const series = [q.train === undefined ? null : { ...TRAIN, key: q.name, values: q.train }, q.val === undefined ? null : { ...VAL, key: `val_${q.name}`, values: q.val }]
    .filter((s) => s !== null);
  const finite = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  const yTicks = niceRange(Math.min(...finite), Math.max(...finite), 5);
  // Epochs shown 1-based, as the progress lines count them.
  const shown = epochs.map((e) => e + 1);
  const xTicks = niceRange(Math.min(...shown, 1), Math.max(...shown, 1), 6, 1);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const x0 = left + MARGIN.left;
  const y0 = top + MARGIN.top;
  const [xLo, xHi] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [yLo, yHi] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x = (v: number) => x0 + ((v - xLo) / (xHi - xLo || 1)) * plotW;
  const y = (v: number) => y0 + plotH - ((v - yLo) / (yHi - yLo || 1)) * plotH;
  const out: string[] = [`<g class="panel" data-quantity="${escapeXml(q.name)}">`];
  out.push(`<text x="${x0 + plotW / 2}" y="${top + 20}" text-anchor="middle" font-size="14" font-weight="bold" ${FONT}>${escapeXml(q.name)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${x0 - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="11" ${FONT}>${tickLabel(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${y0 + plotH}" y2="${y0 + plotH + 4}" stroke="#333"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${y0 + plotH + 17}" text-anchor="middle" font-size="11" ${FONT}>${tickLabel(t)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${x0 + plotW / 2}" y="${top + height - 8}" text-anchor="middle" font-size="12" ${FONT}>epoch</text>`);
  for (const s of series) {
    const dash = s.dash === '' ? '' : ` stroke-dasharray="${s.dash}"`;
    out.push(`<path class="curve" data-key="${escapeXml(s.key)}" d="${pathOf(shown, s.values, x, y)}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    s.values.forEach((v, i) => {
      if (v !== null && Number.isFinite(v)) out.push(`<circle cx="${x(shown[i]).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    });
  }
  // The legend in the inside corner that hides the fewest points, on a white ground.
  const legendW = 112;
  const legendH = series.length * 18 + 6;
  const points = series.flatMap((s) => s.values.flatMap((v, i) => (v !== null && Number.isFinite(v) ? [[x(shown[i]), y(v)]] : [])));
  const corners = [[x0 + plotW - legendW - 6, y0 + 6], [x0 + plotW - legendW - 6, y0 + plotH - legendH - 6], [x0 + 6, y0 + 6], [x0 + 6, y0 + plotH - legendH - 6]];
  const hidden = (cx: number, cy: number) => points.filter(([px, py]) => px >= cx - 4 && px <= cx + legendW + 4 && py >= cy - 4 && py <= cy + legendH + 4).length;
  const [lx, top0] = corners.reduce((best, c) => (hidden(c[0], c[1]) < hidden(best[0], best[1]) ? c : best));
  out.push(`<rect class="legend" x="${lx}" y="${top0}" width="${legendW}" height="${legendH}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  series.forEach((s, i) => {
    const ly = top0 + 14 + i * 18;
    const dash = s.dash === '' ? '' : ` stroke-dasharray="${s.dash}"`;
    out.push(`<line x1="${lx + 8}" x2="${lx + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 38}" y="${ly}" font-size="11" ${FONT}>${s.label}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** The curves of a History (or its saved JSON) as an SVG document. */
export function curvesSvg(history: HistoryLike, options: CurvesOptions = {}): string {
  const h = checkHistory('history', history);
  const qs = quantities(h);
  if (h.epoch.length === 0 || qs.length === 0) throw invalidArgument('history', 'a History with at least one epoch and one logged value', `${h.epoch.length} epochs, keys [${Object.keys(h.history).join(', ')}]`);
  const width = options.panelWidth ?? 420;
  const height = options.panelHeight ?? 280;
  const columns = Math.min(options.columns ?? 2, qs.length);
  const rowsCount = Math.ceil(qs.length / columns);
  const total = { w: width * columns, h: TITLE_HEIGHT + height * rowsCount };
  const title = options.title ?? 'Training curves';
  const body = qs.map((q, i) => panel(q, h.epoch, (i % columns) * width, TITLE_HEIGHT + Math.floor(i / columns) * height, width, height));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total.w}" height="${total.h}" viewBox="0 0 ${total.w} ${total.h}">`,
    `<rect width="${total.w}" height="${total.h}" fill="white"/>`,
    `<text x="${total.w / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold" ${FONT}>${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes the curves of a History (or its saved JSON) to `path` as SVG and returns the SVG text. */
export function plotHistory(history: HistoryLike, path: string, options?: CurvesOptions): string {
  checkSvgPath('path', path);
  const svg = curvesSvg(history, options);
  writeSvg('path', path, svg);
  return svg;
}
