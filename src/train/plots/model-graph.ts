/**
 * Keras's plot_model as an SVG: one box per layer, an arrow per connection, laid out by dagre
 * (a layered layout that orders each rank to avoid crossings, so branches and merges read
 * cleanly). The options are Keras 3's, in camelCase; a nested model is one box, or with
 * expandNested its layers inside a dashed frame.
 */
import dagre, { type Point } from '@dagrejs/dagre';

type Graph = InstanceType<typeof dagre.graphlib.Graph>;
import { invalidArgument, invalidType } from '../../errors.js';
import type { Layer } from '../../graph/layer.js';
import { GraphModel } from '../../graph/model.js';
import { formatShape } from '../../graph/shape.js';
import { checkBoolean, checkOptions } from '../callbacks/callback-options.js';
import { checkSvgPath, escapeXml, writeSvg } from './svg-kit.js';

export interface PlotModelOptions {
  /** Each layer's input and output shapes (default false). */
  showShapes?: boolean;
  /** Each layer's input and output dtypes (default false). */
  showDtype?: boolean;
  /** 'name (ClassName)' rather than the class alone (default false, as Keras 3). */
  showLayerNames?: boolean;
  /** 'TB' (default) top to bottom, 'LR' left to right, 'BT', 'RL'. */
  rankdir?: 'TB' | 'LR' | 'BT' | 'RL';
  /** Draw a nested model's layers inside a frame instead of one box (default false). */
  expandNested?: boolean;
  /** A line saying whether a layer with weights trains (default false). */
  showTrainable?: boolean;
  /** A line with the layer's activation, where it has one (default false). */
  showLayerActivations?: boolean;
}

const OPTIONS = ['showShapes', 'showDtype', 'showLayerNames', 'rankdir', 'expandNested', 'showTrainable', 'showLayerActivations'];
const RANKDIRS = ['TB', 'LR', 'BT', 'RL'] as const;
const FONT_SIZE = 12;
/** DejaVu Sans Mono's advance at 12px: boxes are sized from it, so the text is drawn in it. */
const CHAR_WIDTH = 7.3;
const LINE_HEIGHT = 16;
const PAD = { x: 12, y: 9 };
const FONT = 'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace"';

type Resolved = Required<PlotModelOptions>;

function checkPlotOptions(options: unknown): Resolved {
  const o = checkOptions('plotModel', options, OPTIONS);
  const rankdir = o.rankdir ?? 'TB';
  if (!RANKDIRS.includes(rankdir as Resolved['rankdir'])) throw invalidArgument('rankdir', `one of ${RANKDIRS.join(', ')}`, rankdir);
  return {
    showShapes: checkBoolean('showShapes', o.showShapes, false),
    showDtype: checkBoolean('showDtype', o.showDtype, false),
    showLayerNames: checkBoolean('showLayerNames', o.showLayerNames, false),
    rankdir: rankdir as Resolved['rankdir'],
    expandNested: checkBoolean('expandNested', o.expandNested, false),
    showTrainable: checkBoolean('showTrainable', o.showTrainable, false),
    showLayerActivations: checkBoolean('showLayerActivations', o.showLayerActivations, false),
  };
}

/** The model inside a layer that is a nested model, else null (any layer holding a GraphModel as `model`). */
function nestedModel(layer: Layer): GraphModel | null {
  const inner = (layer as unknown as { model?: unknown }).model;
  return inner instanceof GraphModel ? inner : null;
}

const shapes = (list: readonly (readonly (number | null)[])[]) => (list.length === 1 ? formatShape([...list[0]]) : `[${list.map((s) => formatShape([...s])).join(', ')}]`);

/** The text lines of a layer's box, from its first application in `model`. */
function boxLines(layer: Layer, model: GraphModel, o: Resolved): string[] {
  const node = layer.nodes.find((n) => model.nodes.includes(n)) ?? layer.nodes[0];
  const lines = [o.showLayerNames ? `${layer.name} (${layer.className})` : layer.className];
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  if (o.showLayerActivations && typeof activation === 'string') lines.push(`Activation: ${activation}`);
  if (o.showShapes) {
    if (node.inputs.length > 0) lines.push(`Input shape: ${shapes(node.inputs.map((t) => t.shape))}`);
    lines.push(`Output shape: ${shapes([node.output.shape])}`);
  }
  if (o.showDtype) {
    if (node.inputs.length > 0) lines.push(`Input dtype: ${[...new Set(node.inputs.map((t) => t.dtype))].join(', ')}`);
    lines.push(`Output dtype: ${node.output.dtype}`);
  }
  if (o.showTrainable && layer.countParams > 0) lines.push(`Trainable: ${layer.trainable ? 'yes' : 'no'}`);
  return lines;
}

interface Box { id: string; lines: string[]; nestedFrame: boolean }

/**
 * Adds `model`'s layers to the graph under ids prefixed by `prefix` and returns how to reach
 * them: the box a nested model's k-th input enters at, and the box its k-th output leaves from.
 */
function addModel(g: Graph, boxes: Map<string, Box>, model: GraphModel, o: Resolved, prefix: string, parent: string | null): { entry: (k: number) => string; exit: (k: number) => string } {
  const idOf = new Map<Layer, string>();
  const reach = new Map<string, ReturnType<typeof addModel>>();
  for (const layer of model.layers) {
    const id = prefix + layer.name;
    idOf.set(layer, id);
    const inner = nestedModel(layer);
    if (inner !== null && o.expandNested) {
      g.setNode(id, { label: id });
      if (parent !== null) g.setParent(id, parent);
      boxes.set(id, { id, lines: [layer.name], nestedFrame: true });
      reach.set(id, addModel(g, boxes, inner, o, `${id}/`, id));
      continue;
    }
    const lines = boxLines(layer, model, o);
    const width = Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH + 2 * PAD.x;
    g.setNode(id, { width, height: lines.length * LINE_HEIGHT + 2 * PAD.y });
    if (parent !== null) g.setParent(id, parent);
    boxes.set(id, { id, lines, nestedFrame: false });
  }
  const from = (layer: Layer, k: number) => reach.get(idOf.get(layer)!)?.exit(k) ?? idOf.get(layer)!;
  const into = (layer: Layer, k: number) => reach.get(idOf.get(layer)!)?.entry(k) ?? idOf.get(layer)!;
  for (const node of model.nodes) {
    node.inputs.forEach((t, k) => {
      const a = from(t.node.layer, t.tensorIndex);
      const b = into(node.layer, k);
      if (!g.hasEdge(a, b)) g.setEdge(a, b);
    });
  }
  return {
    entry: (k) => into(model.inputs[k].node.layer, 0),
    exit: (k) => from(model.outputs[k].node.layer, model.outputs[k].tensorIndex),
  };
}

/** The model's layer graph as an SVG document. */
export function modelSvg(model: GraphModel, options?: PlotModelOptions): string {
  if (!(model instanceof GraphModel)) throw invalidType('model', 'a weft model (weft.model(), weft.sequential() or weft.loadModel())', model);
  const o = checkPlotOptions(options);
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: o.rankdir, nodesep: 28, ranksep: 36, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const boxes = new Map<string, Box>();
  addModel(g, boxes, model, o, '', null);
  dagre.layout(g);
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 0);
  const height = Math.ceil(graph.height ?? 0);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  // Frames first, then edges, frame names and boxes, each over the one before.
  for (const box of boxes.values()) {
    if (!box.nestedFrame) continue;
    const n = g.node(box.id);
    const [x, y] = [n.x - n.width / 2, n.y - n.height / 2];
    out.push(`<rect class="nested" data-name="${escapeXml(box.id)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${n.width.toFixed(1)}" height="${n.height.toFixed(1)}" rx="8" fill="#f7f7f7" stroke="#888" stroke-dasharray="6 4"/>`);
  }
  const frameLabels: string[] = [];
  for (const box of boxes.values()) {
    if (!box.nestedFrame) continue;
    // The nested model's name in its frame's top left corner, over any edge that passes there.
    const n = g.node(box.id);
    const [x, y] = [n.x - n.width / 2 + 6, n.y - n.height / 2 + 3];
    frameLabels.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(box.lines[0].length * CHAR_WIDTH + 6).toFixed(1)}" height="${LINE_HEIGHT}" fill="#f7f7f7"/>`);
    frameLabels.push(`<text x="${(x + 3).toFixed(1)}" y="${(y + 12).toFixed(1)}" font-size="${FONT_SIZE}" font-style="italic" ${FONT}>${escapeXml(box.lines[0])}</text>`);
  }
  for (const e of g.edges()) {
    const points: Point[] = g.edge(e).points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('');
    out.push(`<path class="edge" data-from="${escapeXml(e.v)}" data-to="${escapeXml(e.w)}" d="${d}" fill="none" stroke="#444" stroke-width="1.3" marker-end="url(#arrow)"/>`);
  }
  out.push(...frameLabels);
  for (const box of boxes.values()) {
    if (box.nestedFrame) continue;
    const n = g.node(box.id);
    const [x, y] = [n.x - n.width / 2, n.y - n.height / 2];
    out.push(`<g class="layer" data-name="${escapeXml(box.id)}">`);
    out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${n.width.toFixed(1)}" height="${n.height.toFixed(1)}" rx="4" fill="#eaf2fb" stroke="#1f4e79"/>`);
    box.lines.forEach((line, i) => {
      const weight = i === 0 ? ' font-weight="bold"' : '';
      out.push(`<text x="${n.x.toFixed(1)}" y="${(y + PAD.y + (i + 1) * LINE_HEIGHT - 4).toFixed(1)}" text-anchor="middle" font-size="${FONT_SIZE}"${weight} ${FONT}>${escapeXml(line)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>', '');
  return out.join('\n');
}

/** Keras's plot_model: writes the layer graph to `path` as SVG and returns the SVG text. */
export function plotModel(model: GraphModel, path: string, options?: PlotModelOptions): string {
  checkSvgPath('path', path);
  const svg = modelSvg(model, options);
  writeSvg('path', path, svg);
  return svg;
}
