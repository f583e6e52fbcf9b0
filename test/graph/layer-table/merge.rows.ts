// Rows of the layer table for the merge layers.
import type { LayerRow } from '../../support/layer-harness.js';

export const mergeRows: LayerRow[] = [];
