// The golden model fixtures tfjs-layers 4.22 cannot read, shared by the live-model test
// (fixtures.test.ts) and the file-to-file one (families-direct.test.ts).
/** Golden models with a layer tfjs-layers 4.22 cannot read, and the layer the refusal names. */
export const REFUSED_MODELS: Record<string, RegExp> = {
  merge_functional: /subtract \(Subtract\): tfjs-layers 4\.22 has no such layer/,
  activations:
    /act_exponential \(Activation\): activation=exponential.*act_hard_sigmoid \(Activation\): activation=hard_sigmoid is Keras 3's/,
  reshape_ops: /identity \(Identity\): tfjs-layers 4\.22 has no such layer/,
  regularized: /reg_dense \(Dense\): activity_regularizer/,
  gru: /gru \(GRU\): reset_after=true/,
};
