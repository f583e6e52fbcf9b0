import { distributionFor, fans, resolveInitializer } from '../graph/initializers.js';
import type { GraphModel } from '../graph/model.js';
import { fillNormal, fillTruncatedNormal, fillUniform, foldIn, keyFromSeed } from '../parallel/random.js';

/**
 * Draws every weight from its layer's initializer. A weight whose initializer has its own seed
 * gets the same values wherever it sits (as in Keras); the others draw from the model seed
 * folded with the weight's index, so one seed reproduces the whole model.
 */
export function initializeParams(model: GraphModel, seed: number): void {
  const modelKey = keyFromSeed(seed);
  model.layout.entries.forEach((e, i) => {
    const spec = e.layer.params[e.index];
    if (spec.preset === true || model.carriesWeightsOf(e.layer)) return;
    const [fanIn, fanOut] = fans(spec.shape);
    const dist = distributionFor(resolveInitializer(spec.name, spec.initializer), fanIn, fanOut);
    const view = model.params.subarray(e.offset, e.offset + e.size);
    if (spec.values !== undefined) {
      view.set(spec.values);
      return;
    }
    if (dist.kind === 'constant') {
      view.fill(dist.value);
      return;
    }
    const key = dist.seed !== undefined ? keyFromSeed(dist.seed) : foldIn(modelKey, i);
    if (dist.kind === 'uniform') fillUniform(key, view, dist.lo, dist.hi);
    else if (dist.truncated) fillTruncatedNormal(key, view, dist.mean, dist.stddev);
    else fillNormal(key, view, dist.mean, dist.stddev);
  });
}
