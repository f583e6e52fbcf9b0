// Rows of the layer table for the shape layers.
import type { LayerRow } from '../../support/layer-harness.js';

export const shapeRows: LayerRow[] = [];
