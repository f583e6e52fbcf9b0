import { invalidArgument, invalidType } from '../../errors.js';
import type { Logs, TrainingTarget } from './callback.js';
import { checkBoolean, checkOptions, checkVerbosity } from './callback-options.js';
import { ModelBoundCallback } from './model-bound.js';
import { Monitor, type Mode } from './monitor.js';

/** What modelCheckpoint saves through: fit's training target has it; a hand-made one must too. */
export type Savable = Pick<TrainingTarget, 'save'>;

export interface ModelCheckpointOptions {
  /**
   * Where to save, passed to the model's save(). May hold placeholders as Keras formats them:
   * `{epoch}` / `{epoch:02d}` (1-based), `{batch}` (1-based, with a numeric saveFreq) and any
   * log key, e.g. `{val_loss:.4f}`. `{{` and `}}` are literal braces.
   */
  path: string;
  /** The log key saveBestOnly compares (default 'val_loss'). */
  monitor?: string;
  /** Save only when the monitor improves on the best so far (default false: save every time). */
  saveBestOnly?: boolean;
  mode?: Mode;
  /** 'epoch' (default): at each epoch end; an integer n: every n batches. */
  saveFreq?: 'epoch' | number;
  /** 1 prints a line per save decision (default 0). */
  verbose?: 0 | 1;
}

const OPTIONS = ['path', 'monitor', 'saveBestOnly', 'mode', 'saveFreq', 'verbose'];

// ---- path templates: the subset of Python's str.format that Keras checkpoint paths use ----

interface Field {
  readonly name: string;
  readonly fill: '0' | ' ';
  readonly width: number;
  readonly precision: number | undefined;
  readonly type: 'd' | 'f' | 'e' | '';
}
type Piece = string | Field;

const FIELD = /^([A-Za-z_][A-Za-z0-9_]*)(?::(0?)(\d*)(?:\.(\d+))?([dfe]?))?$/;
const TEMPLATE_HELP = 'a path whose placeholders are {name} or {name:spec} with spec like 02d, .4f or .2e, and {{ }} for literal braces';

/** Splits `path` into literal text and placeholders; throws on a malformed one. */
export function parsePathTemplate(path: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if ((c === '{' || c === '}') && path[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '}') {
      throw invalidArgument('path', `${TEMPLATE_HELP} (a lone '}' at ${i})`, path);
    } else if (c === '{') {
      const close = path.indexOf('}', i);
      const m = close < 0 ? null : FIELD.exec(path.slice(i + 1, close));
      if (m === null) throw invalidArgument('path', `${TEMPLATE_HELP} (bad placeholder at ${i})`, path);
      const [, name, zero, width, precision, type] = m;
      if (type === 'd' && precision !== undefined) throw invalidArgument('path', `${TEMPLATE_HELP} (no precision with 'd')`, path);
      if (text !== '') pieces.push(text);
      text = '';
      pieces.push({ name, fill: zero === '0' ? '0' : ' ', width: width === '' ? 0 : Number(width), precision: precision === undefined ? undefined : Number(precision), type: type as Field['type'] });
      i = close;
    } else {
      text += c;
    }
  }
  if (text !== '') pieces.push(text);
  return pieces;
}

/** Python's exponent form: two-digit exponent with a sign (1.50e-03). */
const pythonExponent = (s: string) => s.replace(/e([+-])(\d)$/, 'e$10$2');

function formatField(f: Field, value: number, path: string): string {
  let body: string;
  if (f.type === 'd') {
    if (!Number.isInteger(value)) throw invalidArgument('path', `'d' placeholders only for integers ({${f.name}} is ${value})`, path);
    body = String(Math.abs(value));
  } else if (f.type === 'f') {
    body = Number.isFinite(value) ? Math.abs(value).toFixed(f.precision ?? 6) : String(Math.abs(value));
  } else if (f.type === 'e') {
    body = Number.isFinite(value) ? pythonExponent(Math.abs(value).toExponential(f.precision ?? 6)) : String(Math.abs(value));
  } else {
    body = String(Math.abs(value));
  }
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const padding = Math.max(0, f.width - sign.length - body.length);
  return f.fill === '0' ? sign + '0'.repeat(padding) + body : ' '.repeat(padding) + sign + body;
}

/** The path for this save: epoch and batch 1-based, as Keras fills them, and the log values. */
export function formatPath(path: string, pieces: readonly Piece[], values: Readonly<Record<string, number>>): string {
  return pieces
    .map((p) => {
      if (typeof p === 'string') return p;
      const value = values[p.name];
      if (value === undefined) {
        throw invalidArgument('path', `placeholders among ${Object.keys(values).join(', ')} (no {${p.name}} to fill)`, path);
      }
      return formatField(p, value, path);
    })
    .join('');
}

function checkSaveFreq(value: unknown): 'epoch' | number {
  if (value === undefined || value === 'epoch') return 'epoch';
  const expected = "'epoch' or an integer >= 1 (a number of batches)";
  if (typeof value !== 'number') throw invalidType('saveFreq', expected, value);
  if (!(Number.isInteger(value) && value >= 1)) throw invalidArgument('saveFreq', expected, value);
  return value;
}

function isSavable(model: unknown): model is Savable {
  return typeof (model as Partial<Savable> | null)?.save === 'function';
}

/**
 * Keras 3's ModelCheckpoint (keras/src/callbacks/model_checkpoint.py): saves the model through
 * its save(path) at each epoch end (or every saveFreq batches), or only on improvement of the
 * monitor with saveBestOnly.
 */
export class ModelCheckpoint extends ModelBoundCallback {
  /** It writes files: across hosts, rank 0 alone runs it. */
  readonly rankZeroOnly = true;

  readonly path: string;
  readonly monitor: Monitor;
  readonly saveBestOnly: boolean;
  readonly saveFreq: 'epoch' | number;
  readonly verbose: 0 | 1;
  /** The best monitored value among saves so far (saveBestOnly). */
  best: number;
  /** Every path saved to in the last fit, in order. */
  readonly saved: string[] = [];
  private readonly pieces: Piece[];
  private epoch = 0;
  private batchesSinceSave = 0;
  private lastBatch = 0;

  constructor(options: ModelCheckpointOptions) {
    super('modelCheckpoint');
    if (options === undefined) throw invalidType('modelCheckpoint(options)', 'an options object with a path', options);
    const o = checkOptions('modelCheckpoint', options, OPTIONS);
    if (typeof o.path !== 'string') throw invalidType('path', 'a string (a path or URL, may hold {epoch:02d}-style placeholders)', o.path);
    if (o.path.length === 0) throw invalidArgument('path', 'a non-empty path', o.path);
    this.path = o.path;
    this.pieces = parsePathTemplate(o.path);
    this.monitor = new Monitor('Saving the best model', o, { monitor: 'val_loss', minDelta: 0 });
    this.saveBestOnly = checkBoolean('saveBestOnly', o.saveBestOnly, false);
    this.saveFreq = checkSaveFreq(o.saveFreq);
    this.verbose = checkVerbosity(o.verbose, 0);
    this.best = this.monitor.worst;
  }

  /** Checks at run time too: a target built by hand in JavaScript may lack save(path). */
  override setModel(model: TrainingTarget): void {
    if (!isSavable(model)) {
      throw invalidType('model', 'a model with a save(path) method (modelCheckpoint saves through it)', model);
    }
    super.setModel(model);
  }

  onTrainBegin(): void {
    this.best = this.monitor.worst;
    this.saved.length = 0;
    this.batchesSinceSave = 0;
    this.lastBatch = 0;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  async onBatchEnd(batch: number, logs?: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    // Keras counts batches across epochs; a batch index that does not grow starts a new epoch.
    this.batchesSinceSave += batch <= this.lastBatch ? batch + 1 : batch - this.lastBatch;
    this.lastBatch = batch;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.save(this.epoch, batch, logs ?? {});
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') await this.save(epoch, null, logs ?? {});
  }

  private async save(epoch: number, batch: number | null, logs: Logs): Promise<void> {
    const values: Record<string, number> = { ...logs, epoch: epoch + 1 };
    if (batch !== null) values.batch = batch + 1;
    const path = formatPath(this.path, this.pieces, values);
    if (this.saveBestOnly) {
      const current = this.monitor.read(logs);
      // Keras saves anyway when the monitor is missing (after its warning).
      if (current !== undefined) {
        const best = Number.isFinite(this.best) ? this.best.toFixed(5) : this.best > 0 ? 'inf' : '-inf';
        if (!this.monitor.isImprovement(current, this.best)) {
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor.key} did not improve from ${best}`);
          return;
        }
        if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor.key} improved from ${best} to ${current.toFixed(5)}, saving model to ${path}`);
        this.best = current;
      }
    } else if (this.verbose > 0) {
      console.log(`\nEpoch ${epoch + 1}: saving model to ${path}`);
    }
    await this.model.save(path);
    this.saved.push(path);
  }
}

export function modelCheckpoint(options: ModelCheckpointOptions): ModelCheckpoint {
  return new ModelCheckpoint(options);
}
