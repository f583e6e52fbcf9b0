// Rows of the layer table for the dropout family layers.
import type { LayerRow } from '../../support/layer-harness.js';

export const dropoutFamilyRows: LayerRow[] = [];
