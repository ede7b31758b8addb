import { describe, expect, it } from "vitest";
import { toSnakeCase } from "./index.js";

// Each expected value is what Keras 3.15 `keras.src.utils.naming.to_snake_case` returns.
describe("toSnakeCase", () => {
  it("agrees with Keras on plain class names", () => {
    const cases: [string, string][] = [
      ["Dense", "dense"],
      ["Conv2D", "conv2d"],
      ["Conv2DTranspose", "conv2d_transpose"],
      ["BatchNormalization", "batch_normalization"],
      ["GRUCell", "gru_cell"],
      ["PReLU", "p_re_lu"],
      ["ReLU", "re_lu"],
      ["TFOpLambda", "tf_op_lambda"],
      ["ConvLSTM2D", "conv_lstm2d"],
      ["UpSampling2D", "up_sampling2d"],
      ["MultiHeadAttention", "multi_head_attention"],
      ["LSTM", "lstm"],
      ["ABCd", "ab_cd"],
    ];
    for (const [name, snake] of cases) expect(toSnakeCase(name), name).toBe(snake);
  });

  // The engine's old copy gave `dense2layer`, `_private`, `my.layer`, `http_server2go`, `layer3d4net`.
  it("agrees with Keras where the two old copies differed", () => {
    expect(toSnakeCase("Dense2Layer")).toBe("dense2_layer");
    expect(toSnakeCase("_Private")).toBe("__private");
    expect(toSnakeCase("My.Layer")).toBe("my_layer");
    expect(toSnakeCase("HTTPServer2Go")).toBe("http_server2_go");
    expect(toSnakeCase("Layer3D4Net")).toBe("layer3d4_net");
  });
});
