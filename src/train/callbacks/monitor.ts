/**
 * The monitored quantity shared by earlyStopping, reduceLROnPlateau and modelCheckpoint: which
 * log key, which direction counts as better, by how much, and the warning when it is missing.
 */
import { invalidArgument, invalidType, unknownName } from '../../errors.js';
import { checkNonNegative } from './callback-options.js';
import type { Logs } from './callback.js';

export const MODES = ['auto', 'min', 'max'] as const;
export type Mode = (typeof MODES)[number];
export type Direction = 'min' | 'max';

export interface MonitorOptions {
  /** The log key to watch: 'loss', 'val_loss', a metric as named in compile, or its 'val_' form. */
  monitor?: string;
  /** 'min', 'max', or 'auto': maximise accuracy/AUC-like keys, minimise the rest. */
  mode?: Mode;
  /** How much better than the best a value must be to count as an improvement. */
  minDelta?: number;
}

export function checkMode(value: unknown): Mode {
  if (value === undefined) return 'auto';
  if (typeof value !== 'string') throw invalidType('mode', `one of ${MODES.map((m) => `'${m}'`).join(', ')}`, value);
  if (!(MODES as readonly string[]).includes(value)) throw unknownName('mode', value, MODES);
  return value as Mode;
}

export function checkMonitorKey(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw invalidType('monitor', "a log key such as 'val_loss' or 'accuracy'", value);
  if (value.length === 0) throw invalidArgument('monitor', "a log key such as 'val_loss' or 'accuracy'", value);
  return value;
}

/** Keras's 'auto': keys naming an accuracy or an AUC ('acc', 'val_accuracy', 'categoricalAccuracy', 'auc') go up; losses and errors go down. */
export function directionOf(monitor: string, mode: Mode): Direction {
  if (mode !== 'auto') return mode;
  return /acc|auc/i.test(monitor) ? 'max' : 'min';
}

export class Monitor {
  readonly key: string;
  readonly direction: Direction;
  readonly minDelta: number;
  private warned = false;

  /**
   * Validates `monitor`, `mode` and `minDelta` (with the caller's defaults). `purpose` opens
   * the missing-key warning, e.g. 'Early stopping'.
   */
  constructor(private readonly purpose: string, options: { monitor?: unknown; mode?: unknown; minDelta?: unknown }, defaults: { monitor: string; minDelta: number }) {
    this.key = checkMonitorKey(options.monitor, defaults.monitor);
    this.direction = directionOf(this.key, checkMode(options.mode));
    this.minDelta = checkNonNegative('minDelta', options.minDelta, defaults.minDelta);
  }

  /** The starting best that any finite value improves on: +Infinity when minimising, -Infinity when maximising. */
  get worst(): number {
    return this.direction === 'min' ? Infinity : -Infinity;
  }

  /** Keras's _is_improvement: better than `reference` by more than minDelta; anything beats no reference. */
  isImprovement(current: number, reference: number | null): boolean {
    if (reference === null) return true;
    return this.direction === 'min' ? current < reference - this.minDelta : current > reference + this.minDelta;
  }

  /** logs[key]; when absent, undefined and (once per callback) a warning listing the keys there are. */
  read(logs: Logs | undefined): number | undefined {
    const value = logs?.[this.key];
    if (typeof value === 'number') return value;
    if (!this.warned) {
      this.warned = true;
      const available = Object.keys(logs ?? {});
      console.warn(
        `${this.purpose} is conditioned on metric \`${this.key}\`, which is not available. ` +
          `Available metrics are: ${available.length > 0 ? available.join(', ') : '(none)'}`,
      );
    }
    return undefined;
  }
}
