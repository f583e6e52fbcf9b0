import * as tf from '@tensorflow/tfjs-core';
import type { CallContext, Layer, Saved, SparseGrad } from './layer.js';
import type { GraphModel } from './model.js';
import type { Node, SymbolicTensor } from './symbolic.js';
import { writeTensorInto } from './tensor-io.js';

/** A layer whose output is activation(z) and that can take dL/dz directly (Dense). */
export interface LogitsLayer extends Layer {
  readonly activation: { readonly name: string };
  logits(saved: Saved): tf.Tensor | null;
  backwardFromLogits(dz: tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): ReturnType<Layer['backward']>;
}

export function isLogitsLayer(layer: Layer): layer is LogitsLayer {
  return typeof (layer as Partial<LogitsLayer>).backwardFromLogits === 'function';
}

/**
 * Where back-propagation starts for one model output: dL/d output, or dL/d logits when
 * `gradIsLogits` (the fused softmax/sigmoid form, taken by the output's own layer).
 */
export interface OutputSeed {
  readonly output: SymbolicTensor;
  readonly grad: tf.Tensor;
  readonly gradIsLogits: boolean;
}

/** What one forward pass left behind: every tensor's value and every node's saved state. */
export interface ForwardPass {
  readonly values: Map<SymbolicTensor, tf.Tensor>;
  readonly saved: Map<Node, Saved>;
}

/**
 * Runs a model's graph on concrete tensors and differentiates it by hand, node by node in
 * reverse. It is thread-agnostic: the host and every worker run this same code, only the
 * weights' source and the dropout masks' key differ. Call inside tf.tidy.
 */
export class Executor {
  /** Tensors whose gradient someone needs: those downstream of a weight. */
  private readonly needsGrad = new Set<SymbolicTensor>();
  /** Time the last backward spent copying gradients out of the backend. */
  exportMs = 0;

  /**
   * `inputGradients`: also differentiate with respect to the model's inputs (a nested model,
   * whose inputs are another graph's tensors).
   */
  constructor(readonly model: GraphModel, inputGradients = false) {
    if (inputGradients) model.inputs.forEach((t) => this.needsGrad.add(t));
    // A frozen layer's weights need no gradient: nothing is propagated into a frozen base.
    const learning = new Set(model.layout.entries.filter((e) => e.trainable).map((e) => e.layer));
    for (const node of model.nodes) {
      if (learning.has(node.layer) || node.inputs.some((t) => this.needsGrad.has(t))) this.needsGrad.add(node.output);
    }
  }

  /** One tensor per weight, copied from the flat parameter array into the backend. */
  weightTensors(params: Float32Array): Map<Layer, tf.Tensor[]> {
    const byLayer = new Map<Layer, tf.Tensor[]>();
    for (const e of this.model.layout.entries) {
      const list = byLayer.get(e.layer) ?? [];
      list.push(tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape as number[]));
      byLayer.set(e.layer, list);
    }
    return byLayer;
  }

  forward(inputs: readonly tf.Tensor[], weights: Map<Layer, tf.Tensor[]>, ctxFor: (layer: Layer) => CallContext): ForwardPass {
    const values = new Map<SymbolicTensor, tf.Tensor>();
    const saved = new Map<Node, Saved>();
    this.model.inputs.forEach((t, i) => values.set(t, inputs[i]));
    for (const node of this.model.nodes) {
      if (values.has(node.output)) continue; // a model input
      const ins = node.inputs.map((t) => values.get(t) as tf.Tensor);
      const w = weights.get(node.layer) ?? [];
      const ctx = ctxFor(node.layer);
      const { output, cache } = node.layer.forward(ins, w, ctx);
      values.set(node.output, output);
      saved.set(node, { inputs: ins, weights: w, output, cache, ctx });
    }
    return { values, saved };
  }

  /**
   * Back-propagates the seeds (one per scored output; the loss is their sum) and writes every
   * trainable weight's gradient into `gradOut` (the layout's trainable prefix) at its offset. A
   * weight used by several nodes (a shared layer) gets the sum.
   */
  backward(pass: ForwardPass, seeds: readonly OutputSeed[], gradOut: Float32Array): void {
    const written = new Set<number>();
    // Dense gradients are copied out after the whole pass, so the copy can be timed apart.
    const pending: [tf.Tensor, number, boolean][] = [];
    const entries = this.model.layout.entries;
    this.propagate(pass, seeds, (i, g) => {
      const e = entries[i];
      if (!e.trainable) return;
      if (g instanceof tf.Tensor) {
        pending.push([g, e.offset, !written.has(i)]);
      } else {
        const view = gradOut.subarray(e.offset, e.offset + e.size);
        if (!written.has(i)) view.fill(0);
        g.addInto(view);
      }
      written.add(i);
    });
    const began = performance.now();
    for (const [g, offset, overwrite] of pending) writeTensorInto(g, gradOut, offset, overwrite);
    entries.forEach((e, i) => {
      if (e.trainable && !written.has(i)) gradOut.fill(0, e.offset, e.offset + e.size);
    });
    this.exportMs = performance.now() - began;
  }

  /**
   * The reverse pass itself: each node's backward in reverse order, each weight gradient handed
   * to `sink` with its layout index as soon as its node yields it (a SparseGrad reads the wasm
   * heap, so it must be consumed before further kernels run). Returns the gradient of every
   * tensor reached, the model inputs' included when the executor was made with `inputGradients`.
   * A logits seed enters through its output layer's backwardFromLogits; seeds of one tensor add up.
   */
  propagate(pass: ForwardPass, seeds: readonly OutputSeed[], sink: (entry: number, grad: tf.Tensor | SparseGrad) => void): Map<SymbolicTensor, tf.Tensor> {
    const grads = new Map<SymbolicTensor, tf.Tensor>();
    const logitsSeeds = new Map<SymbolicTensor, tf.Tensor>();
    for (const seed of seeds) {
      const fusable = seed.gradIsLogits && isLogitsLayer(seed.output.node.layer);
      if (seed.gradIsLogits && !fusable) throw new Error(`a logits gradient for output '${seed.output.name}', whose layer takes none`);
      if (fusable) logitsSeeds.set(seed.output, seed.grad);
      else grads.set(seed.output, grads.has(seed.output) ? tf.add(grads.get(seed.output) as tf.Tensor, seed.grad) : seed.grad);
    }
    const entries = this.model.layout.entries;
    const nodes = this.model.nodes;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const dyOut = grads.get(node.output);
      const dz = logitsSeeds.get(node.output);
      const saved = pass.saved.get(node);
      if ((dyOut === undefined && dz === undefined) || saved === undefined) continue;
      const need = node.inputs.map((t) => this.needsGrad.has(t));
      // The fused form takes dL/dz alone: an output that also feeds another one is seeded with
      // dL/d output instead (StepRunner gives its loss no logits).
      if (dz !== undefined && dyOut !== undefined) throw new Error(`output '${node.layer.name}' has a logits gradient and a gradient from further on`);
      const result = dz !== undefined
        ? (node.layer as LogitsLayer).backwardFromLogits(dz, saved, need)
        : node.layer.backward(dyOut as tf.Tensor, saved, need);
      result.inputs.forEach((g, k) => {
        if (g === null || !need[k]) return;
        const t = node.inputs[k];
        const prev = grads.get(t);
        grads.set(t, prev === undefined ? g : tf.add(prev, g));
      });
      const base = entries.findIndex((e) => e.layer === node.layer);
      result.weights.forEach((g, k) => {
        if (g !== null && entries[base + k].trainable) sink(base + k, g);
      });
    }
    return grads;
  }
}
