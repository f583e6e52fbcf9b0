/**
 * Peer benchmark: @tensorflow/tfjs-layers training the same model as weft, in the same process, on
 * the same tfjs-core instance (and so the same kernel and gradient registries) as weft.
 * tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter, so a convnet's first step fails there;
 * the error is passed on and the suite reports the peer as skipped with it.
 *
 * Gradients: `import '@tensorflow/tfjs-core'` registers none; see ensureTfjsGradients below.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { inputShape, rowSize, type Architecture } from '../results.js';
import { summarize, type Summary } from '../stats.js';
import { ensureTfjsGradients } from '../../src/graph/custom/tfjs-gradients.js';

/**
 * Makes sure tfjs-core's gradients are registered in the tfjs-core instance weft uses: importing
 * `@tensorflow/tfjs-layers` under Node normally does it (its CommonJS bundle carries its own copy
 * of register_all_gradients); otherwise weft's own gradient bundle (src/graph/custom) registers
 * them, as it does for custom layers without a backward.
 */
export { ensureTfjsGradients };

export interface TfjsLayersRateOptions {
  readonly backend: 'wasm' | 'cpu';
  readonly batch: number;
  readonly repeats: number;
  readonly warmup: number;
  /**
   * Wall-time budget for the whole measurement (ms). The first warm-up step is timed; when
   * `warmup + repeats` steps of that length would overrun the budget, the peer is reported as
   * unable to train the model in practical time (a `PeerTooSlow`) instead of stalling the suite.
   */
  readonly budgetMs?: number;
}

/** The peer cannot train the model within the suite's time budget. */
export class PeerTooSlow extends Error {
  override readonly name = 'PeerTooSlow';
}

/** The tfjs-layers model of `arch`, built as bench/models.ts's buildWeft builds weft's. */
function buildLayers(arch: Architecture): tfl.Sequential {
  const { input } = arch;
  // tfjs-layers' defaults are Keras's: glorotUniform kernels, zero biases, valid padding, pool strides = pool size.
  const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: inputShape(arch), dtype: input.kind === 'tokens' ? 'int32' : 'float32' })] });
  if (input.kind === 'tokens') {
    model.add(tfl.layers.embedding({ inputDim: input.vocab, outputDim: input.embed, inputLength: input.length }));
    model.add(tfl.layers.flatten());
  }
  if (input.kind === 'image') {
    for (const { filters, kernel, pool } of input.conv) {
      model.add(tfl.layers.conv2d({ filters, kernelSize: kernel, activation: 'relu' }));
      if (pool > 1) model.add(tfl.layers.maxPooling2d({ poolSize: pool }));
    }
    model.add(tfl.layers.flatten());
    if (arch.dropout > 0) model.add(tfl.layers.dropout({ rate: arch.dropout }));
  }
  for (const units of arch.hidden) {
    if (arch.batchNorm) {
      model.add(tfl.layers.dense({ units, useBias: false }));
      model.add(tfl.layers.batchNormalization());
      model.add(tfl.layers.activation({ activation: 'relu' }));
    } else {
      model.add(tfl.layers.dense({ units, activation: 'relu' }));
    }
    if (arch.dropout > 0) model.add(tfl.layers.dropout({ rate: arch.dropout }));
  }
  model.add(tfl.layers.dense({ units: arch.classes, activation: 'softmax' }));
  return model;
}

/**
 * Samples/s of tfjs-layers training `arch` (adam, categoricalCrossentropy on one-hot labels) on
 * the tfjs `backend`, batch `batch`: median, min and max over `repeats` timed trainOnBatch calls
 * after `warmup` untimed ones. Restores the previously active backend before returning.
 */
export async function tfjsLayersRate(arch: Architecture, opts: TfjsLayersRateOptions): Promise<Summary> {
  const { backend, batch, repeats, warmup } = opts;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`tfjsLayersRate: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`tfjsLayersRate: repeats must be a positive integer, got ${repeats}`);
  if (!Number.isInteger(warmup) || warmup < 1) throw new Error(`tfjsLayersRate: warmup must be an integer >= 1, got ${warmup}`);

  await ensureTfjsGradients();
  const previous = tf.getBackend() as string | null; // null while no backend was ever set
  if (!(await tf.setBackend(backend))) throw new Error(`tfjsLayersRate: tf.setBackend('${backend}') returned false`);
  await tf.ready();
  // The cpu backend's first write prints a banner recommending tfjs-node into the suite's table.
  if (backend === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;

  let model: tfl.Sequential | undefined;
  let x: tf.Tensor | undefined;
  let y: tf.Tensor2D | undefined;
  try {
    model = buildLayers(arch);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });

    // A fixed synthetic batch (pixels in [0, 1) or token ids, one-hot labels), from a seeded LCG.
    let s = 12345;
    const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const { input } = arch;
    const shape = [batch, ...inputShape(arch)];
    const values = batch * rowSize(arch);
    x = input.kind === 'tokens'
      ? tf.tensor(Int32Array.from({ length: values }, () => Math.floor(rnd() * input.vocab)), shape, 'int32')
      : tf.tensor(Float32Array.from({ length: values }, rnd), shape);
    const ys = new Float32Array(batch * arch.classes);
    for (let r = 0; r < batch; r++) ys[r * arch.classes + Math.floor(rnd() * arch.classes)] = 1;
    y = tf.tensor2d(ys, [batch, arch.classes]);

    const lastKernel = (): Float32Array => model!.layers[model!.layers.length - 1].getWeights()[0].dataSync().slice() as Float32Array;
    const before = lastKernel();
    const losses: number[] = [];
    const step = async (): Promise<number> => {
      const t0 = performance.now();
      losses.push((await model!.trainOnBatch(x!, y!)) as number);
      return performance.now() - t0;
    };

    const first = await step();
    const projected = first * (warmup + repeats);
    if (opts.budgetMs !== undefined && projected > opts.budgetMs) {
      throw new PeerTooSlow(
        `one step takes ${(first / 1000).toFixed(1)} s, so ${warmup + repeats} steps would take ~${(projected / 1000).toFixed(0)} s, over the ${(opts.budgetMs / 1000).toFixed(0)} s budget`,
      );
    }
    for (let i = 1; i < warmup; i++) await step();
    const rates: number[] = [];
    for (let i = 0; i < repeats; i++) rates.push((batch / (await step())) * 1000);

    // The steps really trained: finite losses, and the output layer's kernel moved.
    if (!losses.every(Number.isFinite)) throw new Error(`tfjsLayersRate: non-finite loss ${losses.join(', ')}`);
    const after = lastKernel();
    if (after.every((v, i) => v === before[i])) throw new Error('tfjsLayersRate: the weights did not change: no training happened');
    if (losses.length > 1 && losses.every((l) => l === losses[0])) throw new Error('tfjsLayersRate: the loss did not change between steps');
    return summarize(rates);
  } finally {
    model?.dispose(); // also disposes the optimizer it created from 'adam'
    x?.dispose();
    y?.dispose();
    if (previous != null && previous !== backend) {
      if (!(await tf.setBackend(previous))) throw new Error(`tfjsLayersRate: could not restore backend '${previous}'`);
      await tf.ready();
    }
  }
}
