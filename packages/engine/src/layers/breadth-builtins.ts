import { LayerScale, StochasticDepth } from "./application-layers.js";
import { AdditiveAttention, Attention } from "./attention.js";
import { ELU, PReLU, ThresholdedReLU } from "./advanced-activations.js";
import { Conv1DTranspose, Conv3D, Conv3DTranspose } from "./conv3d.js";
import { ConvLSTM2D } from "./conv-lstm.js";
import { CuDNNGRU, CuDNNLSTM } from "./cudnn-recurrent.js";
import { LocallyConnected1D, LocallyConnected2D } from "./locally-connected.js";
import { Dot } from "./dot.js";
import { CategoryEncoding, CenterCrop, Resizing } from "./image-preprocessing.js";
import { MultiHeadAttention } from "./multi-head-attention.js";
import {
  ActivityRegularization,
  AlphaDropout,
  GaussianDropout,
  GaussianNoise,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
} from "./noise.js";
import { GroupNormalization, Normalization, UnitNormalization } from "./normalization-extra.js";
import {
  AveragePooling3D,
  Cropping3D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  MaxPooling3D,
  UpSampling3D,
  ZeroPadding3D,
} from "./volumetric.js";

/** The layer classes added for issue 20 (layer breadth), registered by extraLayerClasses. */
export function breadthLayerClasses(): unknown[] {
  return [
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    AlphaDropout,
    GaussianNoise,
    GaussianDropout,
    ActivityRegularization,
    ELU,
    PReLU,
    ThresholdedReLU,
    Dot,
    Conv3D,
    Conv1DTranspose,
    Conv3DTranspose,
    MaxPooling3D,
    AveragePooling3D,
    GlobalAveragePooling3D,
    GlobalMaxPooling3D,
    ZeroPadding3D,
    Cropping3D,
    UpSampling3D,
    Attention,
    AdditiveAttention,
    MultiHeadAttention,
    Normalization,
    GroupNormalization,
    UnitNormalization,
    Resizing,
    CenterCrop,
    CategoryEncoding,
    ConvLSTM2D,
    LayerScale,
    StochasticDepth,
    CuDNNLSTM,
    CuDNNGRU,
    LocallyConnected1D,
    LocallyConnected2D,
  ];
}
