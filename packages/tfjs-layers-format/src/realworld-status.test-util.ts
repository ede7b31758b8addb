// The status of every real-world file (../shared/realworld, MANIFEST.md) converted to tfjs,
// shared by the live-model test (realworld.test.ts) and the file-to-file one (realworld-direct.test.ts):
// - `predicts`: tfjs-layers predicts the recorded Keras output (.output0.npy);
// - `as-kerastore`: no reference output, so tfjs-layers must predict what Kerastore's model does;
// - `refused`: the conversion refuses, naming the blocking layer (or Kerastore cannot load the file).
export type Status =
  | { readonly kind: "predicts"; readonly architecture?: string; readonly rtol?: number }
  | { readonly kind: "as-kerastore"; readonly why: string }
  | { readonly kind: "refused"; readonly message: RegExp; readonly why: string };

export const predicts: Status = { kind: "predicts" };
export const TFJS_REALWORLD: Readonly<Record<string, Status>> = {
  "A-I-nstein__mnist_cnn__cnn_model.h5": predicts,
  "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5": predicts,
  "Aaronvpp__LSTM-Name-Classification__model.h5": {
    kind: "predicts",
    architecture: "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5",
  },
  "AdamVenroy__sentiment-classifer__model.keras": predicts,
  "Aman-21k__cnn-fashion-mnist-classifier__model.keras": predicts,
  "HsinM__mnist-NCS__model.h5": predicts,
  "HsinM__mnist-NCS__weights.h5": { kind: "predicts", architecture: "HsinM__mnist-NCS__model.h5" },
  "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5": predicts,
  "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5": predicts,
  "VKapitany__CNN_Introduction__mnist_cnn.h5": predicts,
  "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5": {
    kind: "predicts",
    architecture: "fastmachinelearning__example-models__KERAS_3layer_batch_norm.json",
  },
  "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5": {
    kind: "as-kerastore",
    why: "theano kernels (converted on load), no reference output",
  },
  "SciSharp__Keras.NET__model.h5": {
    kind: "refused",
    message: /flatten \(Flatten\): the Sequential model was never built/,
    why: "saved before it was built: no input shape for tfjs-layers to build it from",
  },
  "Dobiasd__frugally-deep__temp_stateful.h5": {
    kind: "refused",
    message: /gru_1 \(GRU\): reset_after=true/,
    why: "its GRU has reset_after=true, which tfjs-layers 4.22's GRU does not have",
  },
  "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5": {
    kind: "refused",
    message: /random_flip \(RandomFlip\): tfjs-layers 4\.22 has no such layer.*random_rotation \(RandomRotation\)/,
    why: "its nested Sequential holds RandomFlip and RandomRotation, which tfjs-layers 4.22 does not have",
  },
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.h5": {
    kind: "refused",
    message: /layer class "USELayer"/,
    why: "a custom TF-Hub layer Kerastore cannot load",
  },
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.keras": {
    kind: "refused",
    message: /layer class "USELayer"/,
    why: "a custom TF-Hub layer Kerastore cannot load",
  },
};
