import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import {
  type ObjectKind,
  type Registry,
  builtinRegistry,
  createRegistry,
  customObjectScope,
  defaultRegistry,
  registerSerializable,
} from "@kerastore/registry";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "./backend.js";
import { EngineError } from "./errors.js";
import {
  Constraint,
  type Dense,
  Initializer,
  type Loss,
  type Optimizer,
  Regularizer,
  SGD,
  deserializeLayer,
  getActivation,
  getConstraint,
  getInitializer,
  getLoss,
  getMetric,
  getOptimizer,
  getRegularizer,
  metricFromEnvelope,
  serializeConstraint,
  serializeInitializer,
  serializeLoss,
  serializeRegularizer,
} from "./index.js";
import { deserializeSchedule } from "./training/optimizers/schedules.js";

// The one registry: every kind of built-in is an entry of builtinRegistry, and every name resolves
// in one order: the call's customObjects > the innermost open customObjectScope > registered > built-ins.

beforeAll(async () => {
  await initBackend();
});

const KINDS: readonly ObjectKind[] = [
  "layer",
  "activation",
  "initializer",
  "regularizer",
  "constraint",
  "loss",
  "metric",
  "optimizer",
  "schedule",
];

describe("built-ins live in the one registry", () => {
  it("installBuiltins filled builtinRegistry with every kind", () => {
    const counts = Object.fromEntries(
      KINDS.map((k) => [k, builtinRegistry.ownEntries().filter((e) => e.kind === k).length]),
    );
    for (const kind of KINDS) expect(counts[kind], kind).toBeGreaterThan(kind === "schedule" ? 2 : 3);
    // `MeanSquaredError` is both a loss and a metric: kinds keep them apart.
    expect(builtinRegistry.lookup("MeanSquaredError", { kind: "loss" })?.kind).toBe("loss");
    expect(builtinRegistry.lookup("MeanSquaredError", { kind: "metric" })?.kind).toBe("metric");
  });
});

// One custom object per kind, and a name to look it up by that shadows a built-in.
const half = (x: tf.Tensor) => tf.mul(x, 0.5);
const sevens = (config: JsonObject) => new Initializer("Sevens", config, (s, d) => tf.fill(s, 7, d));
const tenfold = (config: JsonObject) => new Regularizer("Tenfold", config, (x) => tf.mul(10, tf.sum(x)) as tf.Scalar);
const clipOne = (config: JsonObject) => new Constraint("ClipOne", config, (w) => tf.clipByValue(w, -1, 1));
const absLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1);
const hits = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.cast(tf.equal(yTrue, yPred), "float32");

describe("one resolution order for every kind", () => {
  const cases: ReadonlyArray<[ObjectKind, string, unknown, (ctx: object) => unknown, (got: unknown) => boolean]> = [
    ["activation", "relu", half, (ctx) => getActivation("relu", ctx), (a) => (a as { fn: unknown }).fn === half],
    [
      "initializer",
      "Zeros",
      sevens,
      (ctx) => getInitializer({ class_name: "Zeros", config: {} }, "zeros", ctx),
      (i) => (i as Initializer).className === "Sevens",
    ],
    [
      "regularizer",
      "L2",
      tenfold,
      (ctx) => getRegularizer({ class_name: "L2", config: {} }, ctx),
      (r) => (r as Regularizer).className === "Tenfold",
    ],
    [
      "constraint",
      "NonNeg",
      clipOne,
      (ctx) => getConstraint({ class_name: "NonNeg", config: {} }, ctx),
      (c) => (c as Constraint).className === "ClipOne",
    ],
    [
      "loss",
      "mae",
      absLoss,
      (ctx) => {
        const c = ctx as { customObjects?: Record<string, unknown>; registry?: Registry };
        return getLoss("mae", c.customObjects, c.registry);
      },
      (l) => (l as Loss).fn === absLoss,
    ],
    [
      "metric",
      "mae",
      hits,
      (ctx) => getMetric("mae", ctx),
      (m) => (m as { className: string }).className === "MeanMetricWrapper",
    ],
  ];

  it.each(cases)(
    "%s: built-in, then registered, then scope, then customObjects win",
    (kind, name, custom, get, isCustom) => {
      // Built-in only.
      expect(isCustom(get({}))).toBe(false);
      // customObjects of the call.
      expect(isCustom(get({ customObjects: { [name]: custom } }))).toBe(true);
      // The innermost open scope beats a registered object of the same name, and loses to customObjects.
      const registry = createRegistry({ parent: defaultRegistry });
      registry.register(
        name,
        (() => {
          throw new Error("the registered object must not win over the scope");
        }) as never,
        { kind },
      );
      customObjectScope({ [name]: custom as never }, () => {
        expect(isCustom(get({ registry }))).toBe(true);
      });
      // Registered (no scope, no customObjects) beats the built-in.
      const reg = createRegistry({ parent: defaultRegistry });
      reg.register(name, custom as never, { kind });
      expect(isCustom(get({ registry: reg }))).toBe(true);
    },
  );

  it("a loss and an optimizer registered with registerSerializable resolve by package>Name", () => {
    const registry = createRegistry();
    registerSerializable(absLoss, { package: "Test", registry });
    expect(getLoss("Test>absLoss", {}, registry).fn).toBe(absLoss);
    class Slow extends SGD {
      static fromConfig(config: JsonObject): Slow {
        return new Slow({ learningRate: (config.learning_rate as number) / 10 });
      }
    }
    registerSerializable(Slow, { package: "Test", registry });
    const opt = getOptimizer(
      { class_name: "Slow", config: { learning_rate: 1 }, registered_name: "Test>Slow" },
      { registry },
    );
    expect(opt).toBeInstanceOf(Slow);
    expect((opt as Optimizer).getConfig().learning_rate).toBeCloseTo(0.1);
  });

  it("a custom schedule comes from customObjects; a metric envelope names its custom class", () => {
    const flat = { className: "Flat", at: () => 0.5, getConfig: () => ({}) };
    const s = deserializeSchedule({ class_name: "Flat", config: {} }, "test", { customObjects: { Flat: flat } });
    expect(s.at(3)).toBe(0.5);
    const m = metricFromEnvelope({ class_name: "Hits", config: { name: "hits" } }, { customObjects: { Hits: hits } });
    expect(m.name).toBe("hits");
  });

  it("a Python-written Dense with MyPkg>clipped_relu loads with the function from each source", () => {
    const layers = readFixtureJson<Record<string, JsonObject>>("configs", "objects", "layers.json");
    const config = layers.Dense_custom_activation!;
    const clipped = (x: tf.Tensor) => tf.minimum(tf.relu(x), 6);
    const registry = createRegistry();
    registerSerializable(clipped, { package: "MyPkg", name: "clipped_relu", registry });
    for (const ctx of [{ customObjects: { "MyPkg>clipped_relu": clipped } }, { registry }]) {
      const layer = deserializeLayer(config, ctx) as Dense;
      expect(layer.activation.fn).toBe(clipped);
    }
    customObjectScope({ "MyPkg>clipped_relu": clipped }, () => {
      expect((deserializeLayer(config) as Dense).activation.fn).toBe(clipped);
    });
    // And it serializes back as Keras wrote it.
    const again = deserializeLayer(config, { registry }) as Dense;
    expect((again.getConfig() as JsonObject).activation).toEqual(
      config.config && (config.config as JsonObject).activation,
    );
  });
});

describe("custom objects serialize as custom objects", () => {
  it("initializers, regularizers, constraints and losses of a custom class carry their registered name", () => {
    class Sevens extends Initializer {
      constructor(config: JsonObject = {}) {
        super("Sevens", config, (s, d) => tf.fill(s, 7, d));
      }
      static fromConfig(config: JsonObject): Sevens {
        return new Sevens(config);
      }
    }
    const registry = createRegistry();
    registerSerializable(Sevens, { package: "MyPkg", registry });
    expect(serializeInitializer(new Sevens())).toMatchObject({ class_name: "Sevens", module: null });
    expect(serializeInitializer(getInitializer("glorot_uniform", "zeros"))).toMatchObject({
      class_name: "GlorotUniform",
      module: "keras.initializers",
      registered_name: null,
    });
    const back = getInitializer(
      { class_name: "Sevens", config: {}, module: null, registered_name: "MyPkg>Sevens" },
      "zeros",
      { registry },
    );
    expect(back).toBeInstanceOf(Sevens);
    expect(serializeRegularizer(tenfold({}))).toMatchObject({ class_name: "Tenfold", registered_name: "Tenfold" });
    expect(serializeConstraint(clipOne({}))).toMatchObject({ class_name: "ClipOne", registered_name: "ClipOne" });
    expect(serializeLoss(getLoss(absLoss))).toBe("absLoss");
  });
});

describe("an unknown name says its kind, the name and the fix", () => {
  const unknown: ReadonlyArray<[string, () => unknown]> = [
    ["activation", () => getActivation("not_an_activation")],
    ["initializer", () => getInitializer({ class_name: "NotAnInit", config: {} }, "zeros")],
    ["regularizer", () => getRegularizer({ class_name: "NotAReg", config: {} })],
    ["constraint", () => getConstraint("not_a_constraint")],
    ["loss", () => getLoss("not_a_loss")],
    ["metric", () => getMetric("not_a_metric")],
    ["optimizer", () => getOptimizer("not_an_optimizer")],
    ["schedule", () => deserializeSchedule({ class_name: "NotASchedule", config: {} })],
  ];
  it.each(unknown)("%s", (kind, load) => {
    let error: EngineError | undefined;
    try {
      load();
    } catch (e) {
      error = e as EngineError;
    }
    expect(error).toBeInstanceOf(EngineError);
    expect(error!.code).toBe("unknown-object");
    expect(error!.message).toMatch(new RegExp(`${kind} "not_?an?_?\\w*"|${kind} "Not\\w+"`, "i"));
    expect(error!.message).toMatch(/customObjects/);
    expect(error!.message).toMatch(/registerSerializable/);
  });

  const lacking: ReadonlyArray<[string, () => unknown]> = [
    ["activation", () => getActivation("sparsemax")],
    ["initializer", () => getInitializer({ class_name: "STFT", config: {} }, "zeros")],
    ["loss", () => getLoss("Dice")],
    ["metric", () => getMetric({ class_name: "F1Score", config: {} })],
    ["optimizer", () => getOptimizer("Lion")],
    ["schedule", () => deserializeSchedule({ class_name: "PolynomialDecay", config: {} })],
  ];
  it.each(lacking)("a Keras %s Kerastore lacks is 'not supported by Kerastore yet'", (kind, load) => {
    expect(load).toThrow(EngineError);
    try {
      load();
    } catch (e) {
      expect((e as EngineError).code).toBe("unsupported");
      expect((e as Error).message).toMatch(new RegExp(`${kind} .* is not supported by Kerastore yet`));
    }
  });
});
