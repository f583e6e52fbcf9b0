/** Small pieces every weft picture uses: safe text, round tick values, writing the file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalidArgument } from '../../errors.js';
import { checkPath } from '../callbacks/callback-options.js';

/** Text and attribute values made safe for XML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1, 2 or 5 × 10^k: the smallest such step ≥ `raw`. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
}

/**
 * Ticks 0, step, 2·step, … up to the first multiple of step ≥ `max`, with step 1, 2 or 5 × 10^k
 * chosen to give about `target` intervals, and never below `minStep` (1 for whole worker counts).
 */
export function niceTicks(max: number, target = 5, minStep = 0): number[] {
  const top = max > 0 ? max : 1;
  const step = niceStep(Math.max(top / target, minStep));
  const count = Math.ceil(top / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/**
 * Round ticks covering [lo, hi] (any sign): about `target` intervals, the first at or below lo,
 * the last at or above hi. A range of one value is widened so the axis still has a span.
 */
export function niceRange(lo: number, hi: number, target = 5, minStep = 0): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [0, 1];
  if (hi - lo < Math.abs(hi) * 1e-9 || hi === lo) {
    const pad = hi === 0 ? 1 : Math.abs(hi) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(Math.max((hi - lo) / target, minStep));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

/** A tick label: 0.25, 1.5k, 2M — short, and without float noise. */
export function tickLabel(value: number): string {
  const a = Math.abs(value);
  if (a >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  return `${Number(value.toPrecision(4))}`;
}

/** Writes `svg` to `out`, creating its directory; a failure names the argument. */
export function writeSvg(argument: string, out: string, svg: string): void {
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, svg);
  } catch (err) {
    throw invalidArgument(argument, 'a file weft can create and write', `${out} (${(err as Error).message})`);
  }
}

/** A path to write an SVG to: a non-empty string ending in '.svg'. */
export function checkSvgPath(argument: string, path: unknown): string {
  checkPath(argument, path);
  if (!(path as string).toLowerCase().endsWith('.svg')) throw invalidArgument(argument, "a file name ending in '.svg' (weft draws SVG)", path);
  return path as string;
}
