import { StateError } from '../../errors.js';
import type { ModelAwareCallback, TrainingTarget } from './callback.js';

/**
 * Base of the built-in callbacks that act on the model: fit binds the model through setModel
 * before onTrainBegin; a hook that needs it before that fails with a clear StateError.
 */
export abstract class ModelBoundCallback implements ModelAwareCallback {
  private target: TrainingTarget | null = null;

  constructor(private readonly callbackName: string) {}

  setModel(model: TrainingTarget): void {
    this.target = model;
  }

  /** The bound model (Keras's self.model). */
  protected get model(): TrainingTarget {
    if (this.target === null) {
      throw new StateError(`${this.callbackName} has no model: pass it in fit's callbacks, or call setModel(model) before its hooks`);
    }
    return this.target;
  }
}
