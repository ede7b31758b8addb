import type { LayerClass } from "../layer.js";
import { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from "./conv.js";
import { Embedding } from "./embedding.js";
import { BatchNormalization, LayerNormalization } from "./normalization.js";
import {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from "./pooling.js";
import { RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom } from "./preprocessing.js";
import { GRUCell, LSTMCell, SimpleRNNCell } from "./recurrent-cells.js";
import { GRU, LSTM, RNN, SimpleRNN } from "./recurrent.js";
import {
  Cropping1D,
  Cropping2D,
  Masking,
  Permute,
  RepeatVector,
  UpSampling1D,
  UpSampling2D,
  ZeroPadding1D,
  ZeroPadding2D,
} from "./reshaping.js";
import { Bidirectional, TimeDistributed } from "./wrappers.js";
import { breadthLayerClasses } from "./breadth-builtins.js";

/** Other names Keras versions wrote for these classes. */
const ALIASES: Record<string, string> = {
  Convolution1D: "Conv1D",
  Convolution2D: "Conv2D",
  Deconvolution2D: "Conv2DTranspose",
  Deconv2D: "Conv2DTranspose",
  SeparableConvolution2D: "SeparableConv2D",
  MaxPool1D: "MaxPooling1D",
  MaxPool2D: "MaxPooling2D",
  AvgPool1D: "AveragePooling1D",
  AvgPool2D: "AveragePooling2D",
  GlobalAvgPool1D: "GlobalAveragePooling1D",
  GlobalAvgPool2D: "GlobalAveragePooling2D",
  GlobalMaxPool1D: "GlobalMaxPooling1D",
  GlobalMaxPool2D: "GlobalMaxPooling2D",
  // tf.keras 2.x wrote these for the cuDNN-capable versions.
  LSTMV2: "LSTM",
  GRUV2: "GRU",
  // issue 20 (layer breadth)
  Convolution3D: "Conv3D",
  Convolution1DTranspose: "Conv1DTranspose",
  Convolution3DTranspose: "Conv3DTranspose",
  MaxPool3D: "MaxPooling3D",
  AvgPool3D: "AveragePooling3D",
  GlobalAvgPool3D: "GlobalAveragePooling3D",
  GlobalMaxPool3D: "GlobalMaxPooling3D",
  Convolution2DTranspose: "Conv2DTranspose",
  BatchNormalizationV1: "BatchNormalization",
  BatchNormalizationV2: "BatchNormalization",
  SyncBatchNormalization: "BatchNormalization",
  LSTMV1: "LSTM",
  GRUV1: "GRU",
  LSTMCellV1: "LSTMCell",
  LSTMCellV2: "LSTMCell",
  GRUCellV1: "GRUCell",
  GRUCellV2: "GRUCell",
};

/**
 * The layer classes beyond the engine's core set (convolution, pooling, normalization,
 * embedding, recurrent, wrappers, reshaping, random augmentation), by Keras class name, with
 * the aliases older Keras versions wrote. Adds them to `into` when given and returns the map.
 */
export function extraLayerClasses(into: Map<string, LayerClass> = new Map()): Map<string, LayerClass> {
  const classes = [
    Conv1D,
    Conv2D,
    DepthwiseConv2D,
    SeparableConv2D,
    Conv2DTranspose,
    MaxPooling1D,
    MaxPooling2D,
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    BatchNormalization,
    LayerNormalization,
    Embedding,
    RNN,
    SimpleRNN,
    LSTM,
    GRU,
    SimpleRNNCell,
    LSTMCell,
    GRUCell,
    Bidirectional,
    TimeDistributed,
    ZeroPadding1D,
    ZeroPadding2D,
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    RepeatVector,
    Permute,
    Masking,
    RandomFlip,
    RandomRotation,
    RandomZoom,
    RandomContrast,
    RandomTranslation,
    // issue 20 (layer breadth): one line per class, in breadth-builtins.ts.
    ...breadthLayerClasses(),
  ] as unknown as LayerClass[];
  for (const c of classes) into.set(c.className, c);
  for (const [alias, name] of Object.entries(ALIASES)) {
    const cls = into.get(name);
    if (cls !== undefined && !into.has(alias)) into.set(alias, cls);
  }
  return into;
}
