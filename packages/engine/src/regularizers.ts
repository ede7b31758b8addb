import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "./errors.js";
import {
  type FromConfigContext,
  checkBuiltinOrigin,
  envelope,
  lookupCustomFunction,
  numberField,
  readEnvelope,
} from "./keras-object.js";

/** A weight penalty: a scalar added to the loss. Its config is kept in Keras spelling. */
export class Regularizer {
  constructor(
    readonly className: string,
    readonly config: JsonObject,
    private readonly penalty: (x: tf.Tensor, config: JsonObject) => tf.Scalar,
  ) {}

  /** The penalty of a tensor. */
  apply(x: tf.Tensor): tf.Scalar {
    return this.penalty(x, this.config);
  }

  getConfig(): JsonObject {
    return { ...this.config };
  }
}

const l1 = (x: tf.Tensor, f: number): tf.Scalar => tf.mul(f, tf.sum(tf.abs(x))) as tf.Scalar;
const l2 = (x: tf.Tensor, f: number): tf.Scalar => tf.mul(f, tf.sum(tf.square(x))) as tf.Scalar;

const BUILTINS: Record<string, { defaults: JsonObject; penalty: (x: tf.Tensor, c: JsonObject) => tf.Scalar }> = {
  L1: { defaults: { l1: 0.01 }, penalty: (x, c) => l1(x, numberField(c, "l1", 0.01)) },
  L2: { defaults: { l2: 0.01 }, penalty: (x, c) => l2(x, numberField(c, "l2", 0.01)) },
  L1L2: {
    defaults: { l1: 0, l2: 0 },
    penalty: (x, c) => tf.add(l1(x, numberField(c, "l1", 0)), l2(x, numberField(c, "l2", 0))) as tf.Scalar,
  },
  OrthogonalRegularizer: {
    defaults: { factor: 0.01, mode: "rows" },
    penalty: (x, c) =>
      tf.tidy(() => {
        const m = c.mode === "columns" ? tf.transpose(x as tf.Tensor2D) : (x as tf.Tensor2D);
        const n = tf.div(m, tf.norm(m, "euclidean", 1, true)) as tf.Tensor2D;
        const size = n.shape[0];
        const product = tf.matMul(n, tf.transpose(n));
        const off = tf.sub(product, tf.eye(size));
        return tf.mul(numberField(c, "factor", 0.01), tf.div(tf.sum(tf.abs(off)), size * (size - 1))) as tf.Scalar;
      }),
  },
};

const ALIASES: Record<string, string> = {
  l1: "L1",
  l2: "L2",
  l1_l2: "L1L2",
  L1L2: "L1L2",
  orthogonal_regularizer: "OrthogonalRegularizer",
};

/** The names of every built-in regularizer class. */
export const regularizerNames: readonly string[] = Object.freeze(Object.keys(BUILTINS));

/** Makes a built-in regularizer (`regularizer("L2", {l2: 0.01})`). */
export function regularizer(className: string, config: JsonObject = {}): Regularizer {
  const name = ALIASES[className] ?? className;
  const spec = BUILTINS[name];
  if (spec === undefined) {
    throw new EngineError(
      "unknown-object",
      cannot("find", `regularizer "${className}"`, "it is not a Keras regularizer", "pass it in customObjects"),
    );
  }
  const merged: JsonObject = { ...spec.defaults };
  for (const key of Object.keys(config)) if (key in spec.defaults) merged[key] = config[key] as JsonValue;
  return new Regularizer(name, merged, spec.penalty);
}

export type RegularizerLike = string | Regularizer;

/** Resolves a regularizer option or config value; null when none. */
export function getRegularizer(
  id: RegularizerLike | JsonValue | undefined,
  ctx: FromConfigContext = {},
): Regularizer | null {
  if (id === undefined || id === null) return null;
  if (id instanceof Regularizer) return id;
  if (typeof id === "string") return regularizer(id);
  if (isJsonObject(id)) {
    const ref = readEnvelope(id, "a regularizer");
    const custom = lookupCustomFunction(ctx, "regularizer", ref.registeredName, ref.className);
    if (custom !== undefined) return (custom as (c: JsonObject) => Regularizer)(ref.config);
    checkBuiltinOrigin(ref, "regularizer");
    return regularizer(ref.className, ref.config);
  }
  throw new EngineError(
    "invalid-config",
    cannot("read", "a regularizer", `expected a name or config, got ${JSON.stringify(id)}`),
  );
}

/** The Keras 3 config value of a regularizer (null for none). */
export function serializeRegularizer(r: Regularizer | null): JsonValue {
  return r === null ? null : envelope("keras.regularizers", r.className, r.getConfig());
}
