/**
 * What the shape, pooling and normalization layers share: their argument checks (axes, integer
 * lists, booleans, channels-last) and the input-rank check, each with Keras's wording, so the
 * layers' files hold only their own math.
 */
import { invalidArgument, invalidType, ShapeError } from '../../errors.js';
import type { KerasConfigReader } from '../keras-config.js';
import { formatShape, type Shape } from '../shape.js';

/** The part of a layer an error names. */
export interface Named {
  readonly name: string;
  readonly className: string;
}

/** Keras's InputSpec message: "Input 0 of layer 'x' is incompatible with the layer: expected ndim=3, found ndim=2". */
export function expectRank(layer: Named, shape: Shape, rank: number): void {
  if (shape.length !== rank) {
    throw new ShapeError(
      `Input 0 of layer '${layer.name}' (${layer.className}) is incompatible with the layer: expected ndim=${rank}, found ndim=${shape.length}. Full shape received: ${formatShape(shape)}`,
    );
  }
}

export function checkBoolean(argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(argument, 'a boolean', value);
  return value;
}

/** A finite number > 0 (an epsilon), `fallback` when not given. */
export function checkPositive(argument: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidType(argument, 'a positive number', value);
  if (!(value > 0 && Number.isFinite(value))) throw invalidArgument(argument, 'a positive number', value);
  return value;
}

/** A non-empty array of integers; `ok` says which integers are allowed, `expected` says so in words. */
export function checkIntegers(argument: string, value: unknown, expected: string, ok: (d: number) => boolean): number[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidType(argument, expected, value);
  if (!value.every((d) => typeof d === 'number')) throw invalidType(argument, expected, value);
  if (!value.every((d) => Number.isInteger(d) && ok(d as number))) throw invalidArgument(argument, expected, value);
  return [...(value as number[])];
}

/** Keras's `axis`: an integer or a list of integers (negative counts from the end). */
export function checkAxisArgument(value: unknown, fallback: number): number | number[] {
  if (value === undefined) return fallback;
  const expected = 'an integer or a non-empty array of integers';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw invalidArgument('axis', expected, value);
    return value;
  }
  return checkIntegers('axis', value, expected, () => true);
}

/**
 * The axes `axis` names in an input of `rank`, sorted and non-negative. The batch axis 0 is
 * refused: statistics across the batch would depend on how it is split across workers.
 */
export function resolveAxes(layer: Named, axis: number | readonly number[], rank: number): number[] {
  const given = typeof axis === 'number' ? [axis] : axis;
  const axes = given.map((a) => (a < 0 ? a + rank : a));
  const bad = given.find((_, i) => axes[i] < 1 || axes[i] >= rank);
  if (bad !== undefined) {
    throw new ShapeError(
      `Layer '${layer.name}' (${layer.className}): axis ${bad} is out of range for an input of rank ${rank} (axes 1 to ${rank - 1}, or -1 to -${rank - 1}; the batch axis 0 cannot be normalized)`,
    );
  }
  if (new Set(axes).size !== axes.length) {
    throw new ShapeError(`Layer '${layer.name}' (${layer.className}): duplicate axes are not allowed. Received: axis=${JSON.stringify(axis)}`);
  }
  return axes.sort((a, b) => a - b);
}

/** `perm` undone: inverse[perm[i]] = i. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/**
 * `dataFormat` where weft implements channels-last only: absent or 'channelsLast' (tfjs's
 * spelling; Keras's 'channels_last' too). 'channelsFirst' is refused by name, not ignored.
 */
/** A Keras file's `data_format` of a spatial layer: channels_last or absent, else refused: 'weft ' + `why`. */
export function checkKerasChannelsLast(r: KerasConfigReader, why: string): void {
  r.mustBe('data_format', ['channels_last', 'channelsLast'], `weft ${why}`);
}

export function checkChannelsLast(className: string, value: unknown): 'channelsLast' {
  if (value === undefined || value === 'channelsLast' || value === 'channels_last') return 'channelsLast';
  const first = value === 'channelsFirst' || value === 'channels_first';
  throw invalidArgument('dataFormat', `'channelsLast': ${className} in weft takes channels-last inputs only${first ? ' (channelsFirst is not supported)' : ''}`, value);
}
