// The layer families' variants tfjs-layers 4.22 cannot read, shared by the live-model test
// (layer-families.test.ts) and the file-to-file one (families-direct.test.ts).
/** The family's variants tfjs-layers has no equivalent for, as the writer names them (top-level layers). */
export const REFUSED: Record<string, string[]> = {
  conv1d: ["gap"],
  conv2d: ["c_groups"],
  pooling2d: ["gap"],
  normalization: ["ln_rms", "bn_axis1"],
  recurrent: ["gru_back", "lstm_hard"],
  wrappers: ["bi_sum"],
  reshaping: ["zpad1d", "crop1d", "up1d", "up_bilinear"],
  preprocessing: ["flip", "rotate", "zoom", "contrast", "translate"],
  embedding: [],
  bn_training: [],
  rnn_generic: [],
};
