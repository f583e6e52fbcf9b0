import { describe, it } from 'vitest';
import { checkFiles, checkForward, checkReference, checkSgdStep, checkWorkers, type LayerRow } from '../support/layer-harness.js';
import { activationRows } from './layer-table/activation.rows.js';
import { batchNormRows } from './layer-table/batch-norm.rows.js';
import { convRows } from './layer-table/conv.rows.js';
import { coreRows } from './layer-table/core.rows.js';
import { dropoutFamilyRows } from './layer-table/dropout-family.rows.js';
import { mergeRows } from './layer-table/merge.rows.js';
import { nestedRows } from './layer-table/nested.rows.js';
import { resizeRows } from './layer-table/resize.rows.js';
import { shapeRows } from './layer-table/shape.rows.js';

// The layer table (issue 11): one row per layer (or configuration), the same checks for every
// row — see test/support/layer-harness.ts. A new layer adds its rows to a file in layer-table/.
const TABLE: LayerRow[] = [...coreRows, ...mergeRows, ...activationRows, ...shapeRows, ...dropoutFamilyRows, ...nestedRows, ...convRows, ...resizeRows, ...batchNormRows];

describe.each(TABLE.map((row) => [row.name, row] as const))('%s', (_name, row) => {
  if (row.tfjs !== undefined) {
    it('forward equals tfjs-layers on cpu', () => checkForward(row));
    if (!row.random && row.tfjsCannotTrain === undefined) it("one SGD step equals tfjs-layers' trainOnBatch", () => checkSgdStep(row));
    it('saves files tfjs-layers loads to the same predictions', () => checkFiles(row));
  }
  if (row.reference !== undefined) it('forward and gradient equal the float64 reference (Keras 3)', () => checkReference(row));
  it('trains the same on 1, 2 and 3 workers', () => checkWorkers(row));
});
