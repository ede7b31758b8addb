/**
 * Keras's `to_snake_case` (Keras 3 `keras.src.utils.naming`): `Conv2D` → `conv2d`,
 * `BatchNormalization` → `batch_normalization`, `Dense2Layer` → `dense2_layer`.
 *
 * Keras 3 names layers (`dense_1`) and the groups of a `.weights.h5` file (`layers/conv2d`)
 * with it, so the engine's default names and the walk paths must use this one function.
 * Non-word characters go first (Python's Unicode `\W`); a leading underscore is kept and
 * doubled before a capital (`_Private` → `__private`), as Keras does.
 */
export function toSnakeCase(className: string): string {
  return className
    .replace(/[^\p{L}\p{N}_]+/gu, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}
