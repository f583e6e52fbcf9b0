/**
 * weft: Keras-style functional models trained data-parallel on Node.js worker threads.
 * Importing weft leaves tfjs-core ready on its wasm backend in this thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './graph/backend.js';
// Keeps the chained-method types of weft.tf (t.reshape, t.sum, ...) in the published index.d.ts.
import './graph/chained-ops.js';
import { builtinLayers, symbolicInput } from './graph/layers/index.js';
import type { InputConfig } from './graph/layers/index.js';
export type {
  DenseConfig, DropoutConfig, EmbeddingConfig, InputConfig, MergeConfig, DotConfig,
  AlphaDropoutConfig, GaussianDropoutConfig, GaussianNoiseConfig, SpatialDropout1DConfig, SpatialDropout2DConfig,
  ReshapeConfig, PermuteConfig, RepeatVectorConfig, GlobalPooling1DConfig, LayerNormalizationConfig, BatchNormalizationConfig,
  ActivationConfig, ELUConfig, LeakyReLUConfig, PReLUConfig, ReLUConfig, SoftmaxConfig, ThresholdedReLUConfig,
  Conv1DConfig, Conv2DConfig, Conv1DTransposeConfig, Conv2DTransposeConfig, DepthwiseConv2DConfig, SeparableConv2DConfig, Pooling1DConfig, Pooling2DConfig, GlobalPoolingConfig,
  ZeroPadding1DConfig, ZeroPadding2DConfig, UpSampling1DConfig, UpSampling2DConfig, Cropping1DConfig, Cropping2DConfig,
} from './graph/layers/index.js';
import type { SymbolicTensor } from './graph/symbolic.js';
import { graphFromSpec, type ModelSpec } from './graph/spec.js';
import { Model, type ModelConfig } from './train/model.js';
import { Sequential, type SequentialConfig } from './train/sequential.js';
import { adadelta, adagrad, adam, adamax, adamw, nadam, rmsprop, sgd } from './train/optimizers.js';
import { cosineDecay, exponentialDecay, piecewiseConstantDecay, polynomialDecay } from './train/schedules.js';
import { l1, l1l2, l2 } from './graph/regularizers.js';
import { maxNorm, minMaxNorm, nonNeg, unitNorm } from './graph/constraints.js';
import { loadModelSpec } from './train/save.js';
import { earlyStopping } from './train/callbacks/early-stopping.js';
import { terminateOnNaN } from './train/callbacks/terminate-on-nan.js';
import { learningRateScheduler } from './train/callbacks/lr-scheduler.js';
import { reduceLROnPlateau } from './train/callbacks/reduce-lr-on-plateau.js';
import { modelCheckpoint } from './train/callbacks/model-checkpoint.js';
import { csvLogger } from './train/callbacks/csv-logger.js';
import { csv, jsonl } from './train/files/tables.js';
import { imageFolder } from './train/files/images.js';
import { tensorBoard } from './train/callbacks/tensorboard.js';
import { activeHostGroup, initHostGroup, leaveHostGroup } from './parallel/gloo/group.js';
import { glooAvailable } from './parallel/gloo/native.js';
import { hostConfig } from './parallel/gloo/config.js';

await initBackend();

export { tf };
export { Model } from './train/model.js';
export { Sequential } from './train/sequential.js';
export type { SequentialConfig } from './train/sequential.js';
export type { CompileArgs, EvaluateArgs, EvaluateDatasetArgs, ModelConfig, PredictArgs } from './train/model.js';
export type { ModelWeight } from './graph/model.js';
export type { HistoryParams } from './train/history.js';
export type { DigitsOptions, DigitsSplit, LabelledTensors } from './train/datasets/digits.js';
export type { FashionMnist, FashionMnistOptions, FashionMnistSplit } from './train/datasets/fashion-mnist.js';
export type { FitArgs, FitDatasetArgs } from './train/options.js';
export { History } from './train/history.js';
export { trainer, Trainer } from './train/trainer.js';
export type { TrainerCompileArgs, TrainerOptions } from './train/trainer.js';
export { Layer } from './graph/layer.js';
export { SymbolicTensor } from './graph/symbolic.js';
export { DataFileError, ShapeError, StateError } from './errors.js';
export { NonFiniteLossError, WorkerError } from './parallel/coordinator.js';
export type { ModelSpec } from './graph/spec.js';
export type { Optimizer, LearningRate, AdamwConfig, AdamaxConfig, NadamConfig, AdagradConfig, AdadeltaConfig } from './train/optimizers.js';
export type { LearningRateSchedule, ScheduleSpec, ExponentialDecayConfig, PiecewiseConstantDecayConfig, PolynomialDecayConfig, CosineDecayConfig } from './train/schedules.js';
export { losses, lossToKeras } from './graph/losses.js';
export type { Loss, LossSpec, LossName, KerasLoss, CrossentropyOptions, SparseCrossentropyOptions, HuberOptions } from './graph/losses.js';
export { metrics } from './graph/metrics.js';
export { registerLayer, registerLoss, registerMetric } from './graph/custom/register.js';
export type { ObjectiveFunction } from './graph/custom/objectives.js';
export type { CallContext, Gradients, LayerClass, ParamSpec, Saved, SparseGrad } from './graph/layer.js';
export type { Shape } from './graph/shape.js';
export type { RegularizerSpec, RegularizerIdentifier } from './graph/regularizers.js';
export type { ConstraintSpec, ConstraintIdentifier, MaxNormConfig, MinMaxNormConfig, UnitNormConfig } from './graph/constraints.js';
export type { LossArg, MetricArg, MetricsArg, ObjectiveArgs, PerOutput } from './train/compile-args.js';
export type { ClassWeight } from './train/data.js';
export type { DatasetBatch } from './train/stream.js';
export type { Metric, MetricSpec, MetricName, MetricOptions, TopKOptions, CrossentropyMetricOptions } from './graph/metrics.js';
export { loadDigits } from './train/datasets/digits.js';
export { loadFashionMnist, loadFashionMnistSplit, FASHION_MNIST_CLASSES } from './train/datasets/fashion-mnist.js';
export type { Callback, Logs } from './train/callbacks/callback.js';

/** A symbolic input: the shape of one example (no batch axis) and its dtype. */
export function input(config: InputConfig): SymbolicTensor {
  return symbolicInput(config);
}

/** tfjs-layers' `tf.sequential({layers?})`: a stack of layers, grown with `model.add(layer)`. */
export function sequential(config?: SequentialConfig): Sequential {
  return new Sequential(config);
}

export function model(config: ModelConfig): Model {
  return new Model(config);
}

/**
 * Loads a model saved by `model.save` or by tfjs-layers (`file://dir/model.json`, the
 * directory, or a path). A checkpoint comes back compiled, with its optimizer state, and
 * `model.resumeFrom` holds the {initialEpoch, seed} that continue the run exactly. A
 * tfjs-layers model saved with `includeOptimizer` comes back compiled as well, with its Adam or
 * RMSProp slots and step count; what weft cannot use of it (an optimizer, loss or metric weft
 * lacks, or slots that mean something else in tfjs) is skipped with a one-line console.warn.
 * A missing, malformed or truncated file is a DataFileError whose `path` is that file.
 */
export async function loadModel(url: string): Promise<Model> {
  const { modelJsonPath, spec, weights, training, resumable, notices } = await loadModelSpec(url);
  const loaded = new Model({ ...graphFromSpec(spec), seed: 0 });
  loaded.params.set(weights);
  if (training !== null) {
    try {
      loaded.restoreTraining(training);
    } catch (err) {
      // A tfjs-layers file may name a loss or metric weft lacks: tfjs would compile it, weft
      // loads the weights and says why it did not. A weft checkpoint that fails is an error.
      if (resumable) throw err;
      notices.push(`weft.loadModel: '${modelJsonPath}' is loaded uncompiled, its training config and optimizer weights skipped: ${(err as Error).message}`);
    }
    // tfjs-layers records the step count, not the epoch or seed of its run.
    if (!resumable) loaded.resumeFrom = null;
  }
  for (const notice of notices) console.warn(notice);
  return loaded;
}

/** Rebuilds a model from `model.toJSON()` (topology and configs; weights are fresh). */
export function modelFromJSON(spec: ModelSpec, seed?: number): Model {
  return new Model({ ...graphFromSpec(spec), seed });
}

/**
 * The layers, by tfjs-layers' factory names: `weft.layers.dense({units})`; a merge layer also
 * as `weft.layers.concatenate([a, b], config?)`, which applies a new layer at once.
 */
export const layers = builtinLayers;

export const optimizers = { adam, sgd, rmsprop, adamw, adamax, nadam, adagrad, adadelta };

/** Weight regularizers, for kernelRegularizer, biasRegularizer, embeddingsRegularizer, ... */
export const regularizers = { l1, l2, l1l2 };

/** Weight constraints, applied after every optimizer step: kernelConstraint, biasConstraint, ... */
export const constraints = { maxNorm, minMaxNorm, nonNeg, unitNorm };

/** Keras's LearningRateSchedules, as any optimizer's `learningRate`. */
export const schedules = { exponentialDecay, piecewiseConstantDecay, polynomialDecay, cosineDecay };

/** Keras's built-in callbacks, in tfjs-layers' spelling: weft.callbacks.earlyStopping({...}). */
/** Datasets read from a user's files: weft.data.csv(path, {labelColumn}), weft.data.jsonl, weft.data.imageFolder. */
export const data = { csv, jsonl, imageFolder };
export type { ImageFolderOptions } from './train/files/images.js';
export type { CsvOptions, JsonlOptions, ColumnConfig } from './train/files/tables.js';
export type { FileDataset, DatasetInfo } from './train/files/dataset.js';

/**
 * Training on several hosts through Gloo (torch.distributed's names): `init` joins a group
 * (options over torchrun's or Slurm's variables), `current` is the group fit trains in (joined
 * from WORLD_SIZE > 1 on first use), `leave` leaves it, `available` says whether the Gloo
 * binding is built here, `config` resolves what init would use without connecting.
 */
export const hosts = { init: initHostGroup, current: activeHostGroup, leave: leaveHostGroup, available: glooAvailable, config: hostConfig };
export { HostGroup } from './parallel/gloo/group.js';
export type { HostGroupOptions, HostConfig } from './parallel/gloo/config.js';
export { HostGroupError, HostLostError, GlooUnavailableError } from './parallel/gloo/errors.js';

export const callbacks = { earlyStopping, terminateOnNaN, learningRateScheduler, reduceLROnPlateau, modelCheckpoint, csvLogger, tensorBoard };
export { earlyStopping, terminateOnNaN, learningRateScheduler, reduceLROnPlateau, modelCheckpoint };
export type { EarlyStoppingOptions } from './train/callbacks/early-stopping.js';
export type { TerminateOnNaNOptions } from './train/callbacks/terminate-on-nan.js';
export type { Schedule, LearningRateSchedulerOptions } from './train/callbacks/lr-scheduler.js';
export type { ReduceLROnPlateauOptions } from './train/callbacks/reduce-lr-on-plateau.js';
export type { ModelCheckpointOptions } from './train/callbacks/model-checkpoint.js';
export type { TrainingTarget, ModelAwareCallback, NamedWeight } from './train/callbacks/callback.js';
export { plotModel, modelSvg, type PlotModelOptions } from './train/plots/model-graph.js';
export { plotHistory, curvesSvg, type CurvesOptions, type HistoryLike } from './train/plots/curves.js';
export type { CSVLoggerOptions, CSVLogger } from './train/callbacks/csv-logger.js';
export type { TensorBoardOptions, TensorBoard } from './train/callbacks/tensorboard.js';
