import { invalidArgument, invalidType } from '../errors.js';
import type { GraphModel } from '../graph/model.js';
import type { Loss } from '../graph/losses.js';
import type { Column } from '../parallel/batch.js';
import type { SharedAllocator } from '../parallel/memory.js';
import { classWeightsToSampleWeights, sharedArray, toInputColumns, toSampleWeights, toTargetColumns } from './data.js';
import type { Dataset, Engine, Evaluated, InferenceEngine } from './engine.js';
import type { EpochSteps } from './fit-loop.js';

/** One batch as tfjs-layers' fitDataset takes it: inputs and targets. */
export interface DatasetBatch {
  xs: unknown;
  ys: unknown;
  /** Per-example weights, as fit's sampleWeight (Keras's datasets yield (x, y, sample_weight)); every batch or none. */
  sampleWeight?: unknown;
}

/**
 * What fitDataset accepts: an async (or sync) iterable of batches — a generator reading a file,
 * a queue — or a tf.data-style dataset with `iterator()`. A new iteration starts each epoch
 * unless batchesPerEpoch is given, in which case one iterator runs across epochs.
 */
export type BatchSource =
  | AsyncIterable<DatasetBatch>
  | Iterable<DatasetBatch>
  | { iterator(): Promise<{ next(): Promise<IteratorResult<DatasetBatch>> }> };

type BatchIterator = {
  next(): Promise<IteratorResult<DatasetBatch>> | IteratorResult<DatasetBatch>;
  return?(value?: unknown): unknown;
};

export async function openIterator(source: BatchSource): Promise<BatchIterator> {
  if (source !== null && typeof source === 'object') {
    if (Symbol.asyncIterator in source) return (source as AsyncIterable<DatasetBatch>)[Symbol.asyncIterator]();
    if (Symbol.iterator in source) return (source as Iterable<DatasetBatch>)[Symbol.iterator]();
    if (typeof (source as { iterator?: unknown }).iterator === 'function') return (source as { iterator(): Promise<BatchIterator> }).iterator();
  }
  throw invalidType('dataset', 'an async iterable of {xs, ys} batches or a tf.data Dataset', source);
}

/**
 * Converts one streamed batch, with the same checks as fit's arrays: `ys` one value (a
 * one-output model), an array with one per output, or an object keyed by output name.
 */
export function convertBatch(
  model: GraphModel, losses: readonly Loss[], batch: unknown, index: number, what = 'dataset', classWeight: unknown = null,
): Dataset {
  if (batch === null || typeof batch !== 'object' || !('xs' in batch) || !('ys' in batch)) {
    throw invalidType(`${what} batch ${index}`, 'an object {xs, ys} (and sampleWeight, optionally)', batch);
  }
  const { xs, ys, sampleWeight } = batch as DatasetBatch;
  const columns = toInputColumns(model, xs);
  const rows = columns[0].rows;
  const targets = toTargetColumns(model, losses, ys, rows);
  const data = { xs: columns, y: targets[0], ys: targets, rows };
  if (sampleWeight != null && classWeight != null) throw new RangeError('You cannot `class_weight` and `sample_weight` at the same time.');
  if (sampleWeight != null) return { ...data, weights: toSampleWeights(model, sampleWeight, rows, `${what} batch ${index} sampleWeight`) };
  if (classWeight == null) return data;
  if (model.outputs.length !== 1) throw invalidArgument('classWeight', 'a one-output model (`class_weight` is only supported for Models with a single output.)', classWeight);
  return { ...data, weights: [classWeightsToSampleWeights(classWeight, targets[0])] };
}

/** Staging columns shaped like `batch`, able to hold `capacity` rows: what the workers read. */
export function stagingFor(batch: Dataset, capacity: number, memory?: SharedAllocator): Dataset {
  const grow = (c: Column): Column => ({
    data: sharedArray(c.data instanceof Int32Array ? 'int32' : 'float32', capacity * c.rowSize, memory), rowSize: c.rowSize, rows: capacity,
  });
  const ys = (batch.ys ?? [batch.y as Column]).map(grow);
  const weights = batch.weights?.map((w) => (w === null ? null : grow(w)));
  return { xs: batch.xs.map(grow), y: ys[0], ys, ...(weights === undefined ? {} : { weights }), rows: capacity };
}

/**
 * The steps of a streamed epoch: each batch is converted, copied into the staging columns the
 * engine's workers read, and trained as one step. Only one batch is held at a time. Dropout
 * keys count examples from the start of the epoch, as with in-memory data.
 */
export function streamSteps(
  engine: Engine, firstStaging: Dataset, first: Dataset, source: BatchSource, firstIterator: BatchIterator,
  convert: (batch: unknown, index: number) => Dataset, batchesPerEpoch: number | undefined, memory?: SharedAllocator,
): EpochSteps {
  let staging = firstStaging;
  let iterator: BatchIterator | null = firstIterator;
  let pending: Dataset | null = first;
  return async function* (epoch) {
    if (iterator === null) iterator = await openIterator(source);
    let seen = 0;
    let drained = false;
    try {
      for (let b = 0; batchesPerEpoch === undefined || b < batchesPerEpoch; b++) {
        let batch = pending;
        pending = null;
        if (batch === null) {
          const next = await iterator.next();
          if (next.done) {
            drained = true;
            break;
          }
          batch = convert(next.value, b);
        }
        if (batch.rows > staging.rows) {
          // A larger batch than any before (tfjs trains batches of any size): grow the staging at
          // least twofold, so a stream of growing batches reallocates only a few times.
          staging = stagingFor(batch, Math.max(batch.rows, 2 * staging.rows), memory);
          engine.replaceTrainingData({ ...staging, y: staging.y as Column });
        }
        batch.xs.forEach((c, i) => staging.xs[i].data.set(c.data));
        (batch.ys ?? [batch.y as Column]).forEach((c, i) => (staging.ys ?? [staging.y as Column])[i].data.set(c.data));
        copyWeights(batch, staging, b);
        const rows = batch.rows;
        const firstExample = seen;
        seen += rows;
        yield { size: rows, run: () => engine.trainBatch(epoch, null, 0, rows, firstExample) };
      }
    } finally {
      // A fresh iteration next epoch; one left early (training stopped, a step failed) is ended,
      // so a dataset reading a file closes it.
      if (batchesPerEpoch === undefined) {
        if (!drained) {
          try {
            await iterator?.return?.();
          } catch {
            // Ending the dataset's iteration is cleanup: the fit's own outcome is what is reported.
          }
        }
        iterator = null;
      }
    }
    if (seen === 0) console.warn(`weft: the dataset yielded no batches in epoch ${epoch + 1}; training stops here`);
  };
}

/** A batch's sample weights into the staging: every batch has them where the first had them, or none does. */
function copyWeights(batch: Dataset, staging: Dataset, index: number): void {
  const want = staging.weights?.map((w) => w !== null) ?? [];
  const have = batch.weights?.map((w) => w !== null) ?? [];
  if (want.length !== have.length || want.some((w, i) => w !== have[i])) {
    throw invalidArgument(`dataset batch ${index}`, 'sample weights for the same outputs as the first batch (every batch or none)', have.some((h) => h) ? 'other sample weights' : 'no sampleWeight');
  }
  batch.weights?.forEach((w, i) => (w === null ? undefined : (staging.weights?.[i] as Column).data.set(w.data)));
}

/** A dataset's batches as a stream: what `isBatchSource` accepts. */
function isBatch(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'xs' in value && 'ys' in value;
}

/**
 * Whether fitDataset's validationData is a dataset of {xs, ys} batches rather than an [x, y]
 * pair (an array of two batches is a dataset; an array of two arrays or tensors is a pair).
 */
export function isBatchSource(value: unknown): value is BatchSource {
  if (Array.isArray(value)) return value.length !== 2 || isBatch(value[0]);
  if (value === null || typeof value !== 'object') return false;
  return Symbol.asyncIterator in value || Symbol.iterator in value || typeof (value as { iterator?: unknown }).iterator === 'function';
}

/**
 * Inference-mode sums over the batches of a dataset (evaluateDataset, fitDataset's validation
 * dataset), holding one batch at a time: a fresh iteration each call, at most `batches` batches.
 */
export async function evaluateStream(
  engine: InferenceEngine, source: BatchSource, convert: (batch: unknown, index: number) => Dataset, batches?: number,
): Promise<Evaluated> {
  const iterator = await openIterator(source);
  let sums: Float64Array | null = null;
  let rows = 0;
  for (let b = 0; batches === undefined || b < batches; b++) {
    const next = await iterator.next();
    if (next.done) break;
    const batch = convert(next.value, b);
    const s = await engine.evaluate(batch, batch.rows);
    if (sums === null) sums = s;
    else s.forEach((v, i) => ((sums as Float64Array)[i] += v));
    rows += batch.rows;
  }
  if (sums === null) throw invalidArgument('dataset', 'at least one {xs, ys} batch to evaluate', 'an empty dataset');
  return { sums, rows };
}
