import * as tf from "@tensorflow/tfjs-core";

/**
 * Where the numbers of a locally connected layer ("valid" padding) sit, for Keras 2's three
 * kernel layouts (`implementation`):
 * 1. `[positions, patch, filters]`: each output position's matrix; a patch lists its input
 *    values as Keras 2's `local_conv` sliced them: kernel offsets then channel (channels last)
 *    or channel then kernel offsets (channels first).
 * 2. The dense `[input..., output...]` matrix between the flattened input and output
 *    (`[...spatial, channels, ...outSpatial, filters]`, or `[channels, ...spatial, filters,
 *    ...outSpatial]` channels first), of which only the connected entries count.
 * 3. A vector of the connected entries, in the order of their (output index, input index)
 *    pairs sorted (Keras 2's sorted `conv_kernel_idxs`), flattened indices as in 2.
 * The layer computes with layout 1; `kernelIndex` says where each of its entries is stored.
 */
export interface LocalGeometry {
  readonly outputSpatial: number[];
  /** Output positions (product of outputSpatial). */
  readonly positions: number;
  /** Values per patch (kernel size product times channels). */
  readonly patch: number;
  /** Values per sample of the input. */
  readonly inputSize: number;
  storedKernelShape(implementation: number): number[];
  /** The per-sample input index of every patch value, position by position. */
  patchIndex(): Int32Array;
  /** For each `[positions, patch, filters]` entry, its index in the stored kernel (layouts 2, 3). */
  kernelIndex(implementation: number): Int32Array;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Row-major multi-index of `flat` within `dims`. */
function unravel(flat: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  let rest = flat;
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = rest % dims[d]!;
    rest = Math.floor(rest / dims[d]!);
  }
  return out;
}

function ravel(index: readonly number[], dims: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < dims.length; d++) flat = flat * dims[d]! + index[d]!;
  return flat;
}

export function localGeometry(
  inputSpatial: readonly number[],
  channels: number,
  kernelSize: readonly number[],
  strides: readonly number[],
  filters: number,
  channelsFirst: boolean,
): LocalGeometry {
  const outputSpatial = inputSpatial.map((d, i) => Math.floor((d - kernelSize[i]!) / strides[i]!) + 1);
  const positions = product(outputSpatial);
  const patch = product(kernelSize) * channels;
  const inputSize = product(inputSpatial) * channels;
  const outputSize = positions * filters;
  // Input index of value f of the patch at position p.
  const inputIndex = (p: number, f: number): number => {
    const out = unravel(p, outputSpatial);
    if (channelsFirst) {
      const [c, ...offset] = unravel(f, [channels, ...kernelSize]);
      return ravel([c!, ...offset.map((o, d) => out[d]! * strides[d]! + o)], [channels, ...inputSpatial]);
    }
    const at = unravel(f, [...kernelSize, channels]);
    const c = at.pop()!;
    return ravel([...at.map((o, d) => out[d]! * strides[d]! + o), c], [...inputSpatial, channels]);
  };
  const outputIndex = (p: number, filter: number): number =>
    channelsFirst ? filter * positions + p : p * filters + filter;
  return {
    outputSpatial,
    positions,
    patch,
    inputSize,
    storedKernelShape(implementation: number): number[] {
      if (implementation === 1) return [positions, patch, filters];
      if (implementation === 3) return [positions * patch * filters];
      return channelsFirst
        ? [channels, ...inputSpatial, filters, ...outputSpatial]
        : [...inputSpatial, channels, ...outputSpatial, filters];
    },
    patchIndex(): Int32Array {
      const out = new Int32Array(positions * patch);
      for (let p = 0; p < positions; p++) for (let f = 0; f < patch; f++) out[p * patch + f] = inputIndex(p, f);
      return out;
    },
    kernelIndex(implementation: number): Int32Array {
      const count = positions * patch * filters;
      const keys = new Float64Array(count);
      let e = 0;
      for (let p = 0; p < positions; p++) {
        for (let f = 0; f < patch; f++) {
          const input = inputIndex(p, f);
          for (let o = 0; o < filters; o++) {
            keys[e++] =
              implementation === 2 ? input * outputSize + outputIndex(p, o) : outputIndex(p, o) * inputSize + input;
          }
        }
      }
      if (implementation === 2) return Int32Array.from(keys);
      // Layout 3 stores entries in sorted (output, input) order: an entry's index is its rank.
      const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
      const rank = new Int32Array(count);
      for (const [r, i] of order.entries()) rank[i] = r;
      return rank;
    },
  };
}

/** The `[positions, patch, filters]` kernel from the stored one (gathered for layouts 2 and 3). */
export function patchesToKernel(stored: tf.Tensor, index: tf.Tensor1D | undefined, g: LocalGeometry): tf.Tensor3D {
  if (index === undefined) return stored as tf.Tensor3D;
  const filters = stored.size === 0 ? 0 : index.size / (g.positions * g.patch);
  return tf.reshape(tf.gather(tf.reshape(stored, [-1]), index), [g.positions, g.patch, filters]) as tf.Tensor3D;
}
