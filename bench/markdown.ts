/**
 * The suite's result as Markdown: the machine it ran on, then per model a table of every measured
 * point (and every skipped peer with its reason) and the ratios of medians from the same run.
 */
import type { ModelResult, PeerPoint, SuiteResult, WeftPoint } from './results.js';
import { describeArchitecture, ratios } from './results.js';
import type { Summary } from './stats.js';

/** Samples/s with thousands separators; one decimal only where a rate is small enough for it to matter. */
export function formatRate(value: number): string {
  const digits = value < 100 ? 1 : 0;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** 3.21 → "3.2×", 0.456 → "0.46×": two decimals below 1, where one would hide the difference, one above. */
export function formatRatio(value: number): string {
  const digits = value < 1 ? 2 : 1;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}×`;
}

/** A table cell: pipes would end the cell and newlines the row. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

const rateCells = (s: Summary): string[] => [formatRate(s.median), formatRate(s.min), formatRate(s.max)];

function weftRow(p: WeftPoint): string[] {
  return ['weft', `${p.workers} worker${p.workers === 1 ? '' : 's'}`, ...rateCells(p.samplesPerSec), `${Math.round(p.efficiency * 100)}%`];
}

function peerRow(p: PeerPoint): string[] {
  const where = `${p.threads} thread${p.threads === 1 ? '' : 's'}`;
  if (p.samplesPerSec === undefined) return [p.peer, where, `skipped: ${cell(p.skipped ?? 'no measurement')}`, '', '', ''];
  return [p.peer, where, ...rateCells(p.samplesPerSec), ''];
}

function modelSection(model: ModelResult): string[] {
  const rows = [
    ...[...model.weft].sort((a, b) => a.workers - b.workers).map(weftRow),
    ...model.peers.map(peerRow),
  ];
  const lines = [
    `## ${model.name}`,
    '',
    `Batch ${model.batch.toLocaleString('en-US')}, ${model.params.toLocaleString('en-US')} parameters.`,
    '',
    `Model: ${describeArchitecture(model.architecture)}.`,
    '',
    '| framework | workers / threads | samples/s (median) | min | max | scaling efficiency |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  const compared = ratios(model);
  if (compared.length > 0) lines.push('', ...compared.map((r) => `- ${r.label}: ${formatRatio(r.value)}`));
  return [...lines, ''];
}

function machineSection(result: SuiteResult): string[] {
  const m = result.machine;
  const versions = Object.entries(m.versions).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    `# weft benchmark: ${m.label}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB memory, ${m.os}`,
    `- Node ${m.node}; ${versions}`,
    `- Date: ${result.date}`,
    `- Command: \`${result.command}\`${result.quick ? ' (quick: a smoke run, not for comparison)' : ''}`,
    `- Each figure is the median of ${result.repeats} timed repeats after warm-up, with min and max; every ratio compares medians from this run.`,
    '',
  ];
}

export function suiteMarkdown(result: SuiteResult): string {
  return [...machineSection(result), ...result.models.flatMap(modelSection)].join('\n');
}
