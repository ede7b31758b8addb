import { cannot } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import { LoweringError } from "./errors.js";

/**
 * `tf.einsum` for one or two operands, built from transposes, sums and one batched matMul:
 * the WASM backend has no Einsum kernel.
 *
 * Labels only in one operand and not in the output are summed out first; labels in both
 * operands and the output are batch dimensions, those in both and not in the output are
 * contracted. Ellipses and labels repeated within an operand (traces, diagonals) are refused.
 */
export function einsum(equation: string, operands: readonly tf.Tensor[], where: string): tf.Tensor {
  const refuse = (reason: string): never => {
    throw new LoweringError("unsupported", cannot("run", where, `einsum "${equation}": ${reason}`));
  };
  const [lhs, out] = equation.replace(/\s/g, "").split("->");
  if (lhs === undefined || out === undefined || equation.includes("."))
    refuse("only explicit equations without ellipses are computed");
  const specs = lhs!.split(",");
  if (specs.length !== operands.length || specs.length > 2)
    refuse(`${operands.length} operands for ${specs.length} terms`);
  for (const [i, s] of specs.entries()) {
    if (new Set(s).size !== s.length) refuse("a label repeats within an operand");
    if (s.length !== operands[i]!.rank) refuse(`operand ${i} has rank ${operands[i]!.rank}, the term ${s} ${s.length}`);
  }
  const output = out!;
  // Sum out labels an operand alone carries that the output does not keep.
  const reduced = specs.map((s, i) => {
    const other = specs[1 - i] ?? "";
    const drop = [...s].filter((l) => !output.includes(l) && !other.includes(l));
    const keep = [...s].filter((l) => !drop.includes(l)).join("");
    const t =
      drop.length === 0
        ? operands[i]!
        : tf.sum(
            operands[i]!,
            drop.map((l) => s.indexOf(l)),
          );
    return { labels: keep, t };
  });
  const sizeOf = new Map<string, number>();
  for (const { labels, t } of reduced) for (const [k, l] of [...labels].entries()) sizeOf.set(l, t.shape[k]!);
  const permuteTo = (labels: string, t: tf.Tensor, order: string): tf.Tensor => {
    const perm = [...order].map((l) => labels.indexOf(l));
    return perm.every((p, i) => p === i) ? t : tf.transpose(t, perm);
  };
  const size = (labels: string): number => [...labels].reduce((n, l) => n * sizeOf.get(l)!, 1);
  const dims = (labels: string): number[] => [...labels].map((l) => sizeOf.get(l)!);

  if (reduced.length === 1) {
    const { labels, t } = reduced[0]!;
    return permuteTo(labels, t, output);
  }
  const [a, b] = reduced as [{ labels: string; t: tf.Tensor }, { labels: string; t: tf.Tensor }];
  const inB = (l: string) => b.labels.includes(l);
  const batch = [...a.labels].filter((l) => inB(l) && output.includes(l)).join("");
  const contracted = [...a.labels].filter((l) => inB(l) && !output.includes(l)).join("");
  const freeA = [...a.labels].filter((l) => !inB(l)).join("");
  const freeB = [...b.labels].filter((l) => !a.labels.includes(l)).join("");
  const left = tf.reshape(permuteTo(a.labels, a.t, batch + freeA + contracted), [
    size(batch),
    size(freeA),
    size(contracted),
  ]);
  const right = tf.reshape(permuteTo(b.labels, b.t, batch + contracted + freeB), [
    size(batch),
    size(contracted),
    size(freeB),
  ]);
  const product = tf.reshape(tf.matMul(left, right), [...dims(batch), ...dims(freeA), ...dims(freeB)]);
  return permuteTo(batch + freeA + freeB, product, output);
}
