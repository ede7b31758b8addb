/** A checksum kernel: continues `state` (0 for a fresh one) over `bytes`. */
export type ChecksumKernel = (state: number, bytes: Uint8Array) => number;

/**
 * Checks a faster checksum kernel against the portable one on a fixed sample (several lengths
 * and alignments, a non-zero starting state). Returns the length of the first input they
 * disagree on, or `undefined` when they agree on all of them.
 */
export function kernelDisagreement(candidate: ChecksumKernel, reference: ChecksumKernel): number | undefined {
  const sample = new Uint8Array(1031);
  for (let i = 0; i < sample.length; i++) sample[i] = (i * 131 + 7) & 0xff;
  for (const [start, end] of [
    [0, 0],
    [0, 1],
    [1, 9],
    [3, 1031],
    [0, 1024],
  ] as const) {
    const part = sample.subarray(start, end);
    if (candidate(0x12345678, part) >>> 0 !== reference(0x12345678, part) >>> 0) return end - start;
  }
  return undefined;
}
