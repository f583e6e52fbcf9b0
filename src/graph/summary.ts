/**
 * Plain-text `model.summary()` in Keras's classic layout.
 *
 * The rules are copied from `print_summary` in keras 2.10/2.11
 * (`keras/utils/layer_utils.py`): default widths 65 / 98, default positions
 * [.45, .85, 1] / [.33, .55, .67, 1], cells wrapped by `print_row`, a blank
 * line after every layer, and totals with thousands separators (no byte sizes,
 * which only later tf-keras releases print). The goal is that a weft summary
 * reads exactly like the one a Keras user already knows, so deviations are
 * limited to cases where Keras would loop forever or silently misbehave.
 */
import { invalidArgument } from '../errors.js';
import { formatShape } from './shape.js';

/** One tensor feeding a layer, as Keras prints it: `layer[nodeIndex][tensorIndex]`. */
export interface InboundRef {
  /** The name of the layer that made the tensor. */
  layer: string;
  /** Which application of that layer made it (0 for its first call, 1 for its second, ...). */
  nodeIndex: number;
  /** Which output of that application (0 for every weft layer). */
  tensorIndex: number;
}

export interface SummaryRow {
  /** Layer name, e.g. 'dense_1'. */
  name: string;
  /** 'Dense', 'InputLayer', 'Dropout', 'Concatenate', ... */
  className: string;
  /** `null` is the batch dimension, printed as `None`. */
  outputShape: (number | null)[];
  /** Keras's InputLayer reports a list of shapes, so it prints `[(None, 100)]`. */
  isInput: boolean;
  paramCount: number;
  /** The tensors feeding this layer, over all its applications in the model; empty for inputs. */
  inbound: InboundRef[];
}

export interface SummaryTotals {
  total: number;
  trainable: number;
  nonTrainable: number;
}

const SEQUENTIAL_HEADER = ['Layer (type)', 'Output Shape', 'Param #'];
const GRAPH_HEADER = [...SEQUENTIAL_HEADER, 'Connected to'];
const SEQUENTIAL_DEFAULTS = { lineLength: 65, positions: [0.45, 0.85, 1] };
const GRAPH_DEFAULTS = { lineLength: 98, positions: [0.33, 0.55, 0.67, 1] };
/** Keras prefers to wrap a cell just after the end of a tuple / list item. */
const LINE_BREAKS = ['),', '},', '],', "',"];

/**
 * Keras drops the 'Connected to' column when every depth of the graph holds one
 * node with at most one inbound tensor. Because rows are in topological order,
 * that is the same as: the first row has no inbound and every later row is fed
 * by exactly the row before it (two inputs, a branch or a merge all break it).
 */
export function isSequentialLike(rows: readonly SummaryRow[]): boolean {
  return rows.every((row, i) =>
    i === 0 ? row.inbound.length === 0 : row.inbound.length === 1 && row.inbound[0]?.layer === rows[i - 1]?.name,
  );
}

/** Python's `'{:,}'.format(n)`; done by hand so the output never depends on the ICU locale. */
function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Python's `str(list_of_str)`: what Keras 2.10 prints in the 'Connected to' cell. */
function pyStrList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

function resolvePositions(lineLength: number, positions: readonly number[], columns: number): number[] {
  if (positions.length !== columns) {
    throw invalidArgument('positions', `${columns} entries (one column end per column)`, positions);
  }
  const validRaw = positions.every((p, i) => Number.isFinite(p) && p > 0 && (i === 0 || p > (positions[i - 1] as number)));
  if (!validRaw) {
    throw invalidArgument('positions', 'positive, strictly increasing column ends', positions);
  }
  // Same convention as Keras: if the last entry is <= 1 every entry is a fraction of lineLength.
  const absolute = (positions[positions.length - 1] as number) <= 1
    ? positions.map((p) => Math.trunc(lineLength * p))
    : positions.map((p) => Math.trunc(p));
  // Fractions can collapse two columns onto one character (e.g. [.1, .11, 1] of 10); Keras would
  // then print garbage, so refuse instead.
  if (!absolute.every((p, i) => p > (i === 0 ? 0 : (absolute[i - 1] as number)))) {
    throw invalidArgument('positions', `fractions that resolve to strictly increasing column ends >= 1 for lineLength ${lineLength} (these resolve to [${absolute.join(', ')}])`, positions);
  }
  return absolute;
}

/**
 * Keras's `print_row`: each cell gets its column width minus a two-space gutter
 * (none for the last column), preferring to break after `),` `],` `',` `},`;
 * leftovers continue on following lines until every cell is consumed.
 * Like Keras 2.10, column 0 is prefixed by one space and not shortened for it,
 * so a name that fills its column pushes the rest of the line right by one.
 */
function formatRow(fields: readonly string[], ends: readonly number[]): string[] {
  const left = [...fields];
  const lines: string[] = [];
  while (left.some((s) => s.length > 0)) {
    let line = '';
    for (let col = 0; col < left.length; col++) {
      const start = col > 0 ? (ends[col - 1] as number) : 0;
      const end = ends[col] as number;
      const space = col === ends.length - 1 ? 0 : 2;
      // Keras would spin forever on a cutoff <= 0; one character per line always progresses.
      let cutoff = Math.max(1, end - start - space);
      const cell = left[col] as string;
      let fit = cell.slice(0, cutoff);
      const breaks = LINE_BREAKS.map((b) => [fit.indexOf(b), b.length] as const)
        .filter(([at]) => at >= 0)
        .map(([at, len]) => at + len);
      if (breaks.length > 0) {
        cutoff = Math.min(...breaks);
        fit = fit.slice(0, cutoff);
      }
      if (col === 0) line += ' ';
      line += fit + ' '.repeat(space);
      left[col] = cell.slice(cutoff);
      line += ' '.repeat(Math.max(0, end - line.length));
    }
    lines.push(line);
  }
  return lines;
}

/** The summary, one string per printed line, starting with `Model: "name"`. */
export function formatSummary(
  modelName: string,
  rows: readonly SummaryRow[],
  totals: SummaryTotals,
  lineLength?: number,
  positions?: number[],
): string[] {
  const sequential = isSequentialLike(rows);
  const defaults = sequential ? SEQUENTIAL_DEFAULTS : GRAPH_DEFAULTS;
  const header = sequential ? SEQUENTIAL_HEADER : GRAPH_HEADER;
  const width = lineLength ?? defaults.lineLength;
  if (!Number.isInteger(width) || width <= 0) {
    throw invalidArgument('lineLength', 'a positive integer', lineLength);
  }
  const ends = resolvePositions(width, positions ?? defaults.positions, header.length);

  const out = [`Model: "${modelName}"`, '_'.repeat(width), ...formatRow(header, ends), '='.repeat(width)];
  for (const row of rows) {
    const shape = formatShape(row.outputShape);
    const fields = [`${row.name} (${row.className})`, row.isInput ? `[${shape}]` : shape, String(row.paramCount)];
    if (!sequential) fields.push(pyStrList(row.inbound.map((t) => `${t.layer}[${t.nodeIndex}][${t.tensorIndex}]`)));
    // Keras prints a blank (space-filled) line after every layer, the last one included.
    out.push(...formatRow(fields, ends), ' '.repeat(width));
  }
  out.push(
    '='.repeat(width),
    `Total params: ${groupThousands(totals.total)}`,
    `Trainable params: ${groupThousands(totals.trainable)}`,
    `Non-trainable params: ${groupThousands(totals.nonTrainable)}`,
    '_'.repeat(width),
  );
  return out;
}
