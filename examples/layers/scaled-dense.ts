// A user's layer with a hand-written backward: y = scale · (x·W + b), Dense with a fixed output
// scale. It imports weft itself (an installed project writes `import * as weft from 'weft'`),
// so that its class extends the same weft.Layer as the workers' registry. TypeScript: compiled
// to dist/examples/layers/scaled-dense.js by `npm run build`, the file the workers import.
import * as weft from '../../src/index.js';
// In a project of your own these types come from 'weft' too, once it exports them.
import type { Gradients, ParamSpec, Saved } from '../../src/graph/layer.js';
import type { Shape } from '../../src/graph/shape.js';

const { tf } = weft;

export interface ScaledDenseConfig {
  units: number;
  /** Multiplies the output. Default 1. */
  scale?: number;
  name?: string;
}

export class ScaledDense extends weft.Layer {
  static override readonly className = 'ScaledDense';
  readonly units: number;
  readonly scale: number;

  constructor(config: ScaledDenseConfig) {
    super(config.name, 'scaled_dense');
    if (!Number.isInteger(config.units) || config.units < 1) throw new RangeError(`Invalid units: ${config.units}`);
    this.units = config.units;
    this.scale = config.scale ?? 1;
  }

  protected build(inputShapes: readonly Shape[]): ParamSpec[] {
    const inDim = inputShapes[0][inputShapes[0].length - 1] as number;
    return [
      { name: 'kernel', shape: [inDim, this.units], initializer: 'glorotUniform' },
      { name: 'bias', shape: [this.units], initializer: 'zeros' },
    ];
  }

  computeOutputShape(inputShapes: readonly Shape[]): Shape {
    return [...inputShapes[0].slice(0, -1), this.units];
  }

  forward([x]: readonly weft.tf.Tensor[], [kernel, bias]: readonly weft.tf.Tensor[]): { output: weft.tf.Tensor } {
    return { output: tf.mul(tf.add(tf.matMul(x, kernel), bias), this.scale) };
  }

  // dz = scale·dy; dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ dz. An explicit transpose and a plain matMul:
  // wasm's transposed matMul forms are ~10x slower.
  backward(dy: weft.tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): Gradients {
    const [x] = saved.inputs;
    const [kernel] = saved.weights;
    const dz = tf.mul(dy, this.scale);
    return {
      inputs: [needInputGrads[0] ? tf.matMul(dz, tf.transpose(kernel)) : null],
      weights: [tf.matMul(tf.transpose(x), dz), tf.sum(dz, 0)],
    };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, units: this.units, scale: this.scale };
  }
}
