/**
 * Copies the images of `src` ([batch, h, w, c], channels last) into `dst`, a zeroed grid of
 * [batch, gridH, gridW, c], each image's pixel (y, x) at grid cell (y + top, x + left): the
 * zero-padded layouts the convolution gradients compute over. `dst` may be longer than the grid
 * (the tail stays zero).
 */
export function copyIntoGrid(
  src: Float32Array,
  dst: Float32Array,
  [b, h, w, c]: readonly number[],
  [gh, gw]: readonly [number, number],
  [top, left]: readonly [number, number] = [0, 0],
): void {
  // Zero only between the copied rows (a whole-grid fill first cost as much as the copies);
  // rows as wide as the grid are one block an image.
  const [rows, width] = gw === w ? [1, h! * w!] : [h!, w!];
  let done = 0;
  for (let n = 0; n < b!; n++)
    for (let y = 0; y < rows; y++) {
      const from = (n * rows + y) * width * c!;
      const to = ((n * gh + y + top) * gw + left) * c!;
      dst.fill(0, done, to);
      dst.set(src.subarray(from, from + width * c!), to);
      done = to + width * c!;
    }
  dst.fill(0, done);
}
