// The matrices gemm-fused.test.ts multiplies (in a child process) and checks: values of mixed
// magnitudes, so that rounding each product before its add (unfused) and not (fused) differ.
export function gemmInputs(): { m: number; k: number; n: number; a: Float32Array; b: Float32Array } {
  const [m, k, n] = [40, 3000, 64]; // 7.7 M multiply-adds: split on two threads
  const wave = (len: number, seed: number) =>
    Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.91 + seed) * (1 + (i % 7) * 0.37));
  return { m, k, n, a: wave(m * k, 1), b: wave(k * n, 2) };
}
