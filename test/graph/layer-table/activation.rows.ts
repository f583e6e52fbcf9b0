// Rows of the layer table for the activation layers.
import type { LayerRow } from '../../support/layer-harness.js';

export const activationRows: LayerRow[] = [];
