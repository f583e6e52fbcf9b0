/** What Keras prints for the seed models, and helpers to compare summary text with it. */
import { expect } from 'vitest';

/** An indented literal as lines, trailing spaces trimmed (editors strip them from literals). */
export function text(literal: string): string[] {
  return literal.split('\n').slice(1, -1).map((l) => l.replace(/^ {4}\|/, '').trimEnd());
}

/** Every line of the table proper is space-padded to exactly `width`, as Keras prints it. */
export function expectPadded(lines: string[], width: number): void {
  const table = lines.filter((l) => !l.startsWith('Model: ') && !/^(Total|Trainable|Non-trainable) params: /.test(l));
  for (const l of table) expect(l.length, JSON.stringify(l)).toBe(width);
}

/** Keras 2's model.summary() of seed model 1 in a fresh session (trailing spaces trimmed). */
export const SEED1_SUMMARY = text(`
    |Model: "model"
    |_________________________________________________________________
    | Layer (type)                Output Shape              Param #
    |=================================================================
    | input_1 (InputLayer)        [(None, 100)]             0
    |
    | dense (Dense)               (None, 128)               12928
    |
    | dropout (Dropout)           (None, 128)               0
    |
    | dense_1 (Dense)             (None, 10)                1290
    |
    |=================================================================
    |Total params: 14,218
    |Trainable params: 14,218
    |Non-trainable params: 0
    |_________________________________________________________________
    `);
