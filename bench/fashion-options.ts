/**
 * The models of `npm run bench:fashion` and their defaults: pure, so the choice of rows is
 * tested without loading Fashion-MNIST or training anything.
 */
import { flagNumber } from './args.js';
import { BENCH_MODELS, KERAS_CONVNET } from './models.js';
import type { Architecture } from './results.js';

/** A time-to-accuracy row: the model and its defaults. */
export interface FashionModel {
  readonly key: 'mlp' | 'convnet';
  readonly name: string;
  readonly architecture: Architecture;
  readonly epochs: number;
  readonly target: number;
  /** Appended to `<date>-<machine>-fashion` for this model's JSON. */
  readonly fileSuffix: string;
}

export const FASHION_MODELS: readonly FashionModel[] = [
  { key: 'mlp', name: 'MLP 784-512-512-10, dropout 0.2', architecture: BENCH_MODELS.mlp.architecture, epochs: 10, target: 0.88, fileSuffix: '' },
  { key: 'convnet', name: "Keras's simple MNIST convnet", architecture: KERAS_CONVNET, epochs: 15, target: 0.9, fileSuffix: '-convnet' },
];

/** The models `--model` names: mlp, convnet or both (in that order). */
export function fashionModels(flag: string): FashionModel[] {
  if (flag === 'both') return [...FASHION_MODELS];
  const model = FASHION_MODELS.find((m) => m.key === flag);
  if (model === undefined) throw new RangeError(`--model: expected mlp, convnet or both, received '${flag}'`);
  return [model];
}

export interface FashionRun {
  readonly model: FashionModel;
  readonly epochs: number;
  readonly target: number;
}

/**
 * The runs for `--model`, `--epochs` and `--target` as parseArgs gives them: each model with its
 * own epochs and target unless the flag sets one for all. A RangeError names a bad flag.
 */
export function fashionRuns(flags: { readonly model?: string; readonly epochs?: string; readonly target?: string }): FashionRun[] {
  const epochs = flags.epochs === undefined ? undefined : flagNumber('epochs', flags.epochs, 'a positive integer');
  const target = flags.target === undefined ? undefined : Number(flags.target);
  if (target !== undefined && !(target > 0 && target < 1)) throw new RangeError(`--target: expected a fraction in (0, 1), received '${flags.target}'`);
  return fashionModels(flags.model ?? 'both').map((model) => ({ model, epochs: epochs ?? model.epochs, target: target ?? model.target }));
}
