import { type HostTensor, cannot, hostTensor } from "@kerastore/core";
import { EngineError } from "../../errors.js";
import type { TrainableVariable } from "../trainable.js";
import type { Optimizer } from "./optimizer.js";

/**
 * How Keras 2 lists optimizer weights (H5 `optimizer_weights`, `optimizer.get_weights()`):
 * - `optimizer-v2`: tf.keras 2.0-2.10 (OptimizerV2, `tf.keras.optimizers.legacy`): `Adam/iter:0`,
 *   then each slot kind for every variable in turn (`Adam/dense/kernel/m:0`, ... then `.../v:0`);
 *   Nadam's `momentum_cache` right after the iteration; no learning rate.
 * - `tf-keras-2.11`: tf.keras 2.11-2.15's new optimizers: `iteration:0`, then slots as Keras 3
 *   orders them (`Adam/m/dense/kernel:0`, `Adam/v/dense/kernel:0`, ...); no learning rate.
 */
export type Keras2Layout = "optimizer-v2" | "tf-keras-2.11";

/** One Keras 2 optimizer weight. */
export interface Keras2OptimizerWeight {
  /** The name Keras 2 gives it (`Adam/dense/kernel/m:0`). */
  readonly name: string;
  readonly value: HostTensor;
}

/** Options of {@link keras2OptimizerWeights} and {@link setKeras2OptimizerWeights}. */
export interface Keras2WeightsOptions {
  readonly layout?: Keras2Layout | undefined;
  /** The optimizer's Keras 2 name prefix (default: its class name, Keras 2's default name). */
  readonly prefix?: string | undefined;
  /** A model variable's Keras 2 name without `:0` (default its path: `dense/kernel`). */
  readonly variableName?: ((v: TrainableVariable) => string) | undefined;
}

// Keras 3 slot name -> OptimizerV2 slot name, per class.
const V2_SLOTS: Record<string, Record<string, string>> = {
  SGD: { momentum: "momentum" },
  Adam: { momentum: "m", velocity: "v", velocity_hat: "vhat" },
  RMSprop: { velocity: "rms", momentum: "momentum", average_gradient: "mg" },
  Adagrad: { accumulator: "accumulator" },
  Adadelta: { accumulated_grad: "accum_grad", accumulated_delta_var: "accum_var" },
  Adamax: { momentum: "m", norm: "v" },
  Nadam: { momentum: "m", velocity: "v" },
};

// Keras 3 slot name -> tf.keras 2.11 slot name (where they differ).
const NEW_SLOTS: Record<string, string> = { momentum: "m", velocity: "v", velocity_hat: "vhat", norm: "u" };

interface Entry {
  readonly name: string;
  readonly index: number;
}

/**
 * Where each Keras 2 weight comes from: the index in {@link Optimizer.getWeights} (Keras 3
 * order) and its Keras 2 name, in the Keras 2 order.
 */
function plan(optimizer: Optimizer, options: Keras2WeightsOptions): Entry[] {
  const layout = options.layout ?? "optimizer-v2";
  const prefix = options.prefix ?? optimizer.className;
  const nameOf = options.variableName ?? ((v: TrainableVariable) => v.path);
  const vars = optimizer.variables();
  const out: Entry[] = [];
  const slots = vars.map((v, index) => ({ v, index })).filter((e) => e.v.slotName !== undefined);
  const extra = vars
    .map((v, index) => ({ v, index }))
    .filter((e) => e.v.slotName === undefined && e.v.name !== "iteration" && e.v.name !== "learning_rate");
  if (layout === "tf-keras-2.11") {
    out.push({ name: "iteration:0", index: 0 });
    for (const { v, index } of slots)
      out.push({ name: `${prefix}/${NEW_SLOTS[v.slotName!] ?? v.slotName}/${nameOf(v.original!)}:0`, index });
    return out;
  }
  const table = V2_SLOTS[optimizer.className];
  if (table === undefined) {
    throw new EngineError(
      "unsupported",
      cannot(
        "list",
        `the Keras 2 weights of ${optimizer.className}`,
        "OptimizerV2 had no such optimizer",
        'use layout "tf-keras-2.11"',
      ),
    );
  }
  out.push({ name: `${prefix}/iter:0`, index: 0 });
  for (const { index } of extra) out.push({ name: `${prefix}/momentum_cache:0`, index });
  // OptimizerV2 creates each slot kind for all variables before the next kind.
  const kinds = [...new Set(slots.map((s) => s.v.slotName!))];
  for (const kind of kinds) {
    for (const { v, index } of slots)
      if (v.slotName === kind) out.push({ name: `${prefix}/${nameOf(v.original!)}/${table[kind] ?? kind}:0`, index });
  }
  return out;
}

/** The optimizer's weights in a Keras 2 layout, with Keras 2's names (builds nothing: call after `build`). */
export function keras2OptimizerWeights(
  optimizer: Optimizer,
  options: Keras2WeightsOptions = {},
): Keras2OptimizerWeight[] {
  const values = optimizer.getWeights();
  const vars = optimizer.variables();
  return plan(optimizer, options).map(({ name, index }) => {
    const v = vars[index]!;
    const data = values[index]!;
    return {
      name,
      value:
        v.dtype === "int64"
          ? hostTensor("int64", [...v.shape], data as BigInt64Array)
          : hostTensor("float32", [...v.shape], data as Float32Array),
    };
  });
}

/**
 * Restores an optimizer from Keras 2 weights (in the layout's order, as an H5
 * `optimizer_weights` group lists them), building it on `variables` first. The learning rate
 * stays the optimizer's own (Keras 2 keeps it in the config, not the weights).
 */
export function setKeras2OptimizerWeights(
  optimizer: Optimizer,
  values: readonly HostTensor[],
  variables: readonly TrainableVariable[],
  options: Keras2WeightsOptions = {},
): void {
  optimizer.build(variables);
  const entries = plan(optimizer, options);
  if (values.length !== entries.length) {
    throw new EngineError(
      "weight-mismatch",
      cannot(
        "set",
        `the Keras 2 weights of optimizer "${optimizer.name}"`,
        `expected ${entries.length} weights (${entries[0]?.name}, ...), got ${values.length}`,
      ),
    );
  }
  const current = optimizer.getWeights();
  entries.forEach(({ name, index }, k) => {
    const t = values[k]!;
    const expected = current[index]!.length;
    if (t.data.length !== expected) {
      throw new EngineError(
        "weight-mismatch",
        cannot("set", `optimizer weight ${name}`, `expected ${expected} values, got ${t.data.length}`),
        { path: name },
      );
    }
    if (index === 0) current[0] = BigInt64Array.of(BigInt(Number(t.data[0] ?? 0)));
    else
      current[index] =
        t.dtype === "int64"
          ? Float32Array.from(t.data as BigInt64Array, Number)
          : Float32Array.from(t.data as ArrayLike<number>);
  });
  optimizer.setWeights(current);
}
