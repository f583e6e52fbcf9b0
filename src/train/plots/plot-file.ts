/**
 * Draws a saved file: a history.json (what `weft train --out` and `saveHistory` write) as
 * training curves, or a model.json (weft's, tfjs-layers' or a Keras-converted one) as its
 * layer graph.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { invalidArgument, malformedFile, missingFile, readFailure } from '../../errors.js';
import type { GraphModel } from '../../graph/model.js';
import { checkHistory, curvesSvg, type CurvesOptions } from './curves.js';
import { modelSvg, type PlotModelOptions } from './model-graph.js';
import { writeSvg } from './svg-kit.js';

export interface PlotFileOptions extends PlotModelOptions, Pick<CurvesOptions, 'title'> {
  /** Where the SVG goes (default: curves.svg or model.svg beside the file). */
  out?: string;
}

/**
 * Reads `file` and draws it; resolves to what was drawn and where. `loadModel` turns a
 * model.json into a model (weft.loadModel; passed in so this file stays below the API).
 */
export async function plotFile(file: string, options: PlotFileOptions, loadModel: (path: string) => Promise<GraphModel & { dispose(): Promise<void> | void }>): Promise<{ kind: 'curves' | 'model'; out: string }> {
  let json: unknown;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw missingFile('file', file, 'a history.json or a model.json', readFailure(err), err);
  }
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw malformedFile('file', file, 'JSON (a history.json or a model.json)', (err as Error).message, err);
  }
  const { out: given, title, ...modelOptions } = options;
  const obj = json as Record<string, unknown> | null;
  if (obj !== null && typeof obj === 'object' && 'history' in obj && 'epoch' in obj) {
    if (Object.keys(modelOptions).length > 0) throw invalidArgument('options', `only out and title for a history (${basename(file)}); the others draw a model.json`, Object.keys(modelOptions).join(', '));
    const out = given ?? join(dirname(file), 'curves.svg');
    writeSvg('out', out, curvesSvg(checkHistory(file, json), { title: title ?? `Training curves (${basename(file)})` }));
    return { kind: 'curves', out };
  }
  if (obj !== null && typeof obj === 'object' && 'modelTopology' in obj) {
    if (title !== undefined) throw invalidArgument('title', 'no title for a model graph', title);
    const model = await loadModel(file);
    try {
      const out = given ?? join(dirname(file), 'model.svg');
      writeSvg('out', out, modelSvg(model, modelOptions));
      return { kind: 'model', out };
    } finally {
      await model.dispose();
    }
  }
  throw malformedFile('file', file, "a history.json ({ epoch, history }) or a model.json ({ modelTopology, ... })", `JSON with keys [${obj !== null && typeof obj === 'object' ? Object.keys(obj).join(', ') : typeof obj}]`);
}
