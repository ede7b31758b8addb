import { hostTensor } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import { deserializeLayer } from "../index.js";
import { cudnnToCanonicalWeights } from "./cudnn-recurrent.js";
import { GRU, LSTM } from "./recurrent.js";

describe("Keras 2's CuDNNLSTM / CuDNNGRU", () => {
  it("build the LSTM and GRU(reset_after=True) with sigmoid gates their configs describe", () => {
    const lstm = deserializeLayer({ class_name: "CuDNNLSTM", config: { name: "c", units: 3, return_sequences: true } });
    expect(lstm).toBeInstanceOf(LSTM);
    expect(lstm.getConfig()).toMatchObject({
      name: "c",
      units: 3,
      return_sequences: true,
      recurrent_activation: "sigmoid",
    });
    const gru = deserializeLayer({ class_name: "CuDNNGRU", config: { name: "g", units: 2 } }, { kerasVersion: 2 });
    expect(gru).toBeInstanceOf(GRU);
    expect(gru.getConfig()).toMatchObject({ reset_after: true, recurrent_activation: "sigmoid", activation: "tanh" });
  });

  it("convert a kernel block as cuDNN reads it: its row-major values are the [units, input] matrix", () => {
    // One input, two units, GRU: each gate's [1, 2] block is W [2, 1] read row-major, so the
    // Keras block is W^T = the same values; recurrent blocks [2, 2] are transposed.
    const [kernel, recurrent, bias] = cudnnToCanonicalWeights(
      "CuDNNGRU",
      [
        hostTensor("float32", [1, 6], Float32Array.from([1, 2, 3, 4, 5, 6])),
        hostTensor("float32", [2, 6], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
        hostTensor(
          "float32",
          [12],
          Float32Array.from({ length: 12 }, (_, i) => i),
        ),
      ],
      "layer g",
    );
    expect(Array.from(kernel!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(recurrent!.data as Float32Array)).toEqual([1, 7, 3, 9, 5, 11, 2, 8, 4, 10, 6, 12]);
    expect(bias!.shape).toEqual([2, 6]);
    // Three inputs, two units, LSTM: gate 0's block holds 0, 1 / 8, 9 / 16, 17, which cuDNN reads
    // as W = [[0, 1, 8], [9, 16, 17]]; Keras's block is W^T. The biases sum.
    const [k2, , b2] = cudnnToCanonicalWeights(
      "CuDNNLSTM",
      [
        hostTensor(
          "float32",
          [3, 8],
          Float32Array.from({ length: 24 }, (_, i) => i),
        ),
        hostTensor("float32", [2, 8], new Float32Array(16)),
        hostTensor(
          "float32",
          [16],
          Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? 1 : 2)),
        ),
      ],
      "layer l",
    );
    const k = k2!.data as Float32Array;
    expect([0, 1, 2].map((row) => [k[row * 8]!, k[row * 8 + 1]!])).toEqual([
      [0, 9],
      [1, 16],
      [8, 17],
    ]);
    expect(Array.from(b2!.data as Float32Array)).toEqual(new Array(8).fill(3));
  });

  it("refuse weights of other shapes, naming the layer and what was expected", () => {
    expect(() =>
      cudnnToCanonicalWeights(
        "CuDNNLSTM",
        [
          hostTensor("float32", [2, 4], new Float32Array(8)),
          hostTensor("float32", [1, 4], new Float32Array(4)),
          hostTensor("float32", [4], new Float32Array(4)),
        ],
        'layer "cu_dnnlstm"',
      ),
    ).toThrow(
      /cannot convert the CuDNNLSTM weights of layer "cu_dnnlstm": expected kernel \[input, 4 \* units\], recurrent_kernel \[units, 4 \* units\] and bias \[8 \* units\], got \[2, 4\], \[1, 4\], \[4\]/,
    );
  });
});
