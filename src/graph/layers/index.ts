/**
 * The built-in layers, one registry line each: `name: layerFactory(Class)` registers the class
 * (for specs and model.json) and makes it `weft.layers.name`. A new layer is its file, a line
 * here and a row in the layer test table.
 */
import { Concatenate } from './concatenate.js';
import { Conv1D, Conv2D } from './conv.js';
import { Conv1DTranspose, Conv2DTranspose } from './conv-transpose.js';
import { DepthwiseConv2D } from './depthwise-conv.js';
import { SeparableConv2D } from './separable-conv.js';
import { AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D } from './pooling.js';
import { ZeroPadding1D, ZeroPadding2D } from './zero-padding.js';
import { UpSampling1D, UpSampling2D } from './up-sampling.js';
import { Cropping1D, Cropping2D } from './cropping.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { Flatten } from './flatten.js';
import { Functional, NestedModel, NestedSequential } from './functional.js';
import { InputLayer } from './input.js';
import type { Layer } from '../layer.js';
import type { GraphModel } from '../model.js';
import { GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D } from './global-pooling.js';
import { LayerNormalization } from './layer-normalization.js';
import { BatchNormalization } from './batch-normalization.js';
import { Normalization } from './normalization.js';
import { Permute } from './permute.js';
import { RepeatVector } from './repeat-vector.js';
import { Reshape } from './reshape.js';
import { Add } from './add.js';
import { Average } from './average.js';
import { Dot } from './dot.js';
import { Maximum, Minimum } from './extremum.js';
import { Multiply } from './multiply.js';
import { Subtract } from './subtract.js';
import { ActivationLayer } from './activation.js';
import { ELU } from './elu.js';
import { LeakyReLU } from './leaky-relu.js';
import { PReLU } from './prelu.js';
import { ReLU } from './relu.js';
import { Softmax } from './softmax.js';
import { ThresholdedReLU } from './thresholded-relu.js';
import { AlphaDropout } from './alpha-dropout.js';
import { GaussianDropout } from './gaussian-dropout.js';
import { GaussianNoise } from './gaussian-noise.js';
import { SpatialDropout1D, SpatialDropout2D } from './spatial-dropout.js';
import { layerFactory, mergeFactory, registerLayerClass } from './registry.js';

export type { DenseConfig } from './dense.js';
export type { Conv1DConfig, Conv2DConfig } from './conv.js';
export type { Conv1DTransposeConfig, Conv2DTransposeConfig } from './conv-transpose.js';
export type { DepthwiseConv2DConfig } from './depthwise-conv.js';
export type { SeparableConv2DConfig } from './separable-conv.js';
export type { Pooling1DConfig, Pooling2DConfig } from './pooling.js';
export type { ZeroPadding1DConfig, ZeroPadding2DConfig } from './zero-padding.js';
export type { UpSampling1DConfig, UpSampling2DConfig } from './up-sampling.js';
export type { Cropping1DConfig, Cropping2DConfig } from './cropping.js';
export type { DropoutConfig } from './dropout.js';
export type { EmbeddingConfig } from './embedding.js';
export type { InputConfig } from './input.js';
export type { MergeConfig } from './merge.js';
export type { DotConfig } from './dot.js';
export type { AlphaDropoutConfig } from './alpha-dropout.js';
export type { GaussianDropoutConfig } from './gaussian-dropout.js';
export type { GaussianNoiseConfig } from './gaussian-noise.js';
export type { SpatialDropout1DConfig, SpatialDropout2DConfig } from './spatial-dropout.js';
export type { ReshapeConfig } from './reshape.js';
export type { PermuteConfig } from './permute.js';
export type { RepeatVectorConfig } from './repeat-vector.js';
export type { GlobalPooling1DConfig, GlobalPoolingConfig } from './global-pooling.js';
export type { LayerNormalizationConfig } from './layer-normalization.js';
export type { BatchNormalizationConfig } from './batch-normalization.js';
export type { NormalizationConfig } from './normalization.js';
export type { ActivationConfig } from './activation.js';
export type { ELUConfig } from './elu.js';
export type { LeakyReLUConfig } from './leaky-relu.js';
export type { PReLUConfig } from './prelu.js';
export type { ReLUConfig } from './relu.js';
export type { SoftmaxConfig } from './softmax.js';
export type { ThresholdedReLUConfig } from './thresholded-relu.js';
export { layerClass, layerFromConfig, layerModuleUrl, registerLayerClass, registeredLayerClassNames } from './registry.js';

registerLayerClass(InputLayer);

/** `weft.layers`: tfjs-layers' factory names. */
export const builtinLayers = {
  dense: layerFactory(Dense),
  dropout: layerFactory(Dropout),
  embedding: layerFactory(Embedding),
  flatten: layerFactory(Flatten),
  concatenate: mergeFactory(Concatenate),
  // merge layers
  add: mergeFactory(Add),
  subtract: mergeFactory(Subtract),
  multiply: mergeFactory(Multiply),
  average: mergeFactory(Average),
  maximum: mergeFactory(Maximum),
  minimum: mergeFactory(Minimum),
  dot: mergeFactory(Dot),

  // activation layers
  activation: layerFactory(ActivationLayer),
  reLU: layerFactory(ReLU),
  leakyReLU: layerFactory(LeakyReLU),
  prelu: layerFactory(PReLU),
  elu: layerFactory(ELU),
  thresholdedReLU: layerFactory(ThresholdedReLU),
  softmax: layerFactory(Softmax),

  // shape, pooling and normalization layers
  reshape: layerFactory(Reshape),
  permute: layerFactory(Permute),
  repeatVector: layerFactory(RepeatVector),
  globalAveragePooling1d: layerFactory(GlobalAveragePooling1D),
  globalMaxPooling1d: layerFactory(GlobalMaxPooling1D),
  layerNormalization: layerFactory(LayerNormalization),
  batchNormalization: layerFactory(BatchNormalization),
  normalization: layerFactory(Normalization),

  // convolution and pooling layers
  conv1d: layerFactory(Conv1D),
  conv2d: layerFactory(Conv2D),
  conv1dTranspose: layerFactory(Conv1DTranspose),
  conv2dTranspose: layerFactory(Conv2DTranspose),
  depthwiseConv2d: layerFactory(DepthwiseConv2D),
  separableConv2d: layerFactory(SeparableConv2D),
  maxPooling1d: layerFactory(MaxPooling1D),
  maxPooling2d: layerFactory(MaxPooling2D),
  averagePooling1d: layerFactory(AveragePooling1D),
  averagePooling2d: layerFactory(AveragePooling2D),
  globalAveragePooling2d: layerFactory(GlobalAveragePooling2D),
  globalMaxPooling2d: layerFactory(GlobalMaxPooling2D),
  zeroPadding1d: layerFactory(ZeroPadding1D),
  zeroPadding2d: layerFactory(ZeroPadding2D),
  upSampling1d: layerFactory(UpSampling1D),
  upSampling2d: layerFactory(UpSampling2D),
  cropping1d: layerFactory(Cropping1D),
  cropping2d: layerFactory(Cropping2D),
  // tfjs-layers' spelling of the same factory
  cropping2D: layerFactory(Cropping2D),

  // the dropout family
  spatialDropout1d: layerFactory(SpatialDropout1D),
  spatialDropout2d: layerFactory(SpatialDropout2D),
  gaussianDropout: layerFactory(GaussianDropout),
  gaussianNoise: layerFactory(GaussianNoise),
  alphaDropout: layerFactory(AlphaDropout),

};

// A model applied as a layer (GraphModel.apply), under the three names files give it.
registerLayerClass(Functional);
registerLayerClass(NestedModel);
registerLayerClass(NestedSequential);

/** `weft.input({shape})`: the symbolic tensor of a new InputLayer. */
export function symbolicInput(config: ConstructorParameters<typeof InputLayer>[0]) {
  return new InputLayer(config).output;
}

/** A model as one layer of another (`model.apply(x)`), sharing the model's weights. */
export function modelAsLayer(model: GraphModel): Layer {
  return new Functional(model);
}
