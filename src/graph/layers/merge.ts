/**
 * What the merge layers share (Keras's `base_merge.Merge`). A merge layer is applied to a list of
 * tensors. The elementwise merges (Add, Subtract, Multiply, Average, Maximum, Minimum) also share
 * Keras 3's shape rule and the backward pass that undoes it: example shapes are aligned on their
 * last axes and each axis must be equal, 1 (broadcast) or unknown; an input of lower rank gains
 * size-1 axes after the batch axis (Keras expands it at axis 1). A subclass writes only its
 * merge function and the gradient of each aligned input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, invalidArgument, ShapeError } from '../../errors.js';
import { isObject, type Json, type KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import { SymbolicTensor } from '../symbolic.js';

export interface MergeConfig {
  name?: string;
}

/**
 * Keras writes `dtype` as 'float32' (Keras 2) or as a DTypePolicy object (Keras 3); weft computes
 * in float32 only, so any other dtype is refused by name rather than silently run in float32.
 */
export function checkKerasDtype(r: KerasConfigReader): void {
  const d = r.get('dtype');
  const name = isObject(d) && isObject(d.config) ? d.config.name : d;
  if (name !== undefined && name !== null && name !== 'float32') {
    throw invalidArgument(r.where('dtype'), "'float32' or null (weft computes in float32)", name);
  }
}

/** A layer that takes a list of inputs: `layer.apply([a, b])`, never a lone tensor. */
export abstract class MergeLayer extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasDtype(r);
    return { name: r.name };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { name: c.name, trainable: true };
  }

  // The counts are checked in apply, with Keras's messages, before Layer's own check.
  protected override readonly minInputs: number = 1;
  protected override readonly maxInputs: number = Infinity;
  /** Subtract and Dot take exactly two inputs; the other merges any number from one up. */
  protected readonly exactlyTwo: boolean = false;

  override apply(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    if (!Array.isArray(inputs)) {
      throw new ShapeError(`A merge layer should be called on a list of inputs. Layer '${this.name}' (${this.className}) received: inputs=${describeInputs([inputs as SymbolicTensor])} (one tensor, not a list)`);
    }
    const list = inputs as readonly SymbolicTensor[];
    if (this.exactlyTwo && list.length !== 2) {
      throw new ShapeError(`A \`${this.className}\` layer should be called on exactly 2 inputs. Layer '${this.name}' received: input_shape=[${describeInputs(list)}]`);
    }
    if (list.length < 1) {
      throw new ShapeError(`A merge layer should be called on a list of at least 1 input. Layer '${this.name}' (${this.className}) received 0 inputs`);
    }
    return super.apply(list);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

function describeInputs(inputs: readonly unknown[]): string {
  return inputs.map((t) => (t instanceof SymbolicTensor ? formatShape(t.shape) : describeValue(t))).join(', ');
}

/**
 * Keras 3's `_compute_elemwise_op_output_shape` for two example shapes (no batch axis): aligned
 * on the last axis, each pair equal, one of them 1, or unknown (then unknown). Null when they
 * cannot be broadcast.
 */
export function broadcastShapes(a: Shape, b: Shape): (number | null)[] | null {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const lead = long.length - short.length;
  const out = long.slice(0, lead);
  for (let k = 0; k < short.length; k++) {
    const i = long[lead + k];
    const j = short[k];
    if (i == null || j == null) out.push(null);
    else if (i === 1) out.push(j);
    else if (j === 1 || i === j) out.push(i);
    else return null;
  }
  return out;
}

/** The sum of the inputs: one addN kernel when no input is broadcast, else a chain of adds. */
export function sumOf(xs: readonly tf.Tensor[]): tf.Tensor {
  const same = xs.every((x) => tf.util.arraysEqual(x.shape, xs[0].shape));
  return same && xs.length > 2 ? tf.addN(xs as tf.Tensor[]) : xs.reduce((a, b) => tf.add(a, b));
}

/** An input as the merge computes with it: float32, at the common rank (size-1 axes after the batch). */
function align(x: tf.Tensor, rank: number): tf.Tensor {
  const f = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
  if (f.rank === rank) return f;
  return tf.reshape(f, [f.shape[0], ...new Array<number>(rank - f.rank).fill(1), ...f.shape.slice(1)]);
}

/** A gradient of the broadcast (output) shape summed back to its input's shape. */
function unbroadcast(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape as number[])) return g;
  const aligned = [shape[0], ...new Array<number>(g.rank - shape.length).fill(1), ...shape.slice(1)];
  const axes = aligned.flatMap((d, i) => (d === 1 && g.shape[i] !== 1 ? [i] : []));
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes, true) : g, shape as number[]);
}

/** A merge applied element by element, with Keras 3's broadcasting of compatible shapes. */
export abstract class ElementwiseMerge extends MergeLayer {
  constructor(config: MergeConfig = {}) {
    const className = new.target.className;
    super(checkLayerConfig<MergeConfig>(className, config, ['name']).name, className.toLowerCase());
  }

  /** The output from the inputs, all float32 and of one rank (broadcast along size-1 axes). */
  protected abstract merge(xs: readonly tf.Tensor[]): tf.Tensor;

  /**
   * dL/d(each aligned input), in the output's shape or the input's (the broadcast is undone
   * after); null where `need` says no one uses it.
   */
  protected abstract inputGrads(dy: tf.Tensor, xs: readonly tf.Tensor[], output: tf.Tensor, need: readonly boolean[]): (tf.Tensor | null)[];

  /** The broadcast example shape of all inputs; a ShapeError naming the layer where they clash. */
  private exampleShape(shapes: readonly Shape[]): (number | null)[] {
    let out: (number | null)[] = shapes[0].slice(1);
    for (let i = 1; i < shapes.length; i++) {
      const next = broadcastShapes(out, shapes[i].slice(1));
      if (next === null) {
        const first = i === 1 ? 'input 0' : `inputs 0-${i - 1} broadcast`;
        throw new ShapeError(
          `Inputs of layer '${this.name}' (${this.className}) have incompatible shapes: aligned on the last axis, each axis must be equal or 1. Received shapes ${formatShape([null, ...out])} (${first}) and ${formatShape(shapes[i])} (input ${i})`,
        );
      }
      out = next;
    }
    return out;
  }

  protected build(shapes: readonly Shape[]): ParamSpec[] {
    this.exampleShape(shapes);
    return [];
  }

  computeOutputShape(shapes: readonly Shape[]): Shape {
    return [shapes[0][0], ...this.exampleShape(shapes)];
  }

  forward(inputs: readonly tf.Tensor[]): { output: tf.Tensor; cache: tf.Tensor[] } {
    const rank = Math.max(...inputs.map((x) => x.rank));
    const xs = inputs.map((x) => align(x, rank));
    return { output: this.merge(xs), cache: xs };
  }

  backward(dy: tf.Tensor, saved: Saved, need: readonly boolean[]): Gradients {
    const grads = this.inputGrads(dy, saved.cache as tf.Tensor[], saved.output, need);
    return { inputs: grads.map((g, i) => (g === null || !need[i] ? null : unbroadcast(g, saved.inputs[i].shape))), weights: [] };
  }
}
