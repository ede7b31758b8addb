/**
 * Symmetric int8 quantization (zero point 0, values in [-127, 127]) as TFLite's dynamic-range
 * weights use: one scale per tensor, or per slice along `axis`.
 */
export function quantizeInt8(
  values: Float32Array,
  shape: readonly number[],
  axis?: number,
): { bytes: Uint8Array; scale: number[] } {
  const channels = axis === undefined ? 1 : shape[axis]!;
  const inner = axis === undefined ? values.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const max = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) max[channelOf(i)] = Math.max(max[channelOf(i)]!, Math.abs(values[i]!));
  const scale = Array.from(max, (m) => (m === 0 ? 1 : m / 127));
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++)
    out[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / scale[channelOf(i)]!)));
  return { bytes: new Uint8Array(out.buffer), scale: scale.map((s) => Math.fround(s)) };
}

/** int8 weights back to float32 with their scales (per tensor, or per slice along `axis`). */
export function dequantizeInt8(
  bytes: Uint8Array,
  shape: readonly number[],
  scale: readonly number[],
  zeroPoint: readonly number[],
  axis: number,
): Float32Array {
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const perChannel = scale.length > 1;
  const inner = perChannel ? shape.slice(axis + 1).reduce((a, b) => a * b, 1) : q.length;
  const channels = perChannel ? shape[axis]! : 1;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = perChannel ? Math.floor(i / inner) % channels : 0;
    out[i] = (q[i]! - (zeroPoint[c] ?? 0)) * scale[c]!;
  }
  return out;
}
