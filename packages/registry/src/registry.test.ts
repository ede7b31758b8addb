import { describe, expect, it } from "vitest";
import {
  RegistryError,
  createRegistry,
  customObjectScope,
  defaultRegistry,
  kindLabel,
  registerSerializable,
  registerSerializableEntry,
} from "./index.js";

class Dense {
  constructor(readonly config: unknown) {}
}
class MyLayer {}
function relu(x: number): number {
  return Math.max(0, x);
}

describe("createRegistry", () => {
  it("registers built-ins with their Keras 3 module and looks them up both ways", () => {
    const registry = createRegistry();
    const entry = registry.register("Dense", Dense, { module: "keras.layers", kind: "layer" });
    expect(entry).toEqual({
      name: "Dense",
      value: Dense,
      className: "Dense",
      registeredName: null,
      module: "keras.layers",
      kind: "layer",
    });
    expect(registry.get("Dense")).toBe(Dense);
    expect(registry.lookup("Dense", { kind: "layer" })).toBe(entry);
    expect(registry.lookup("Dense", { kind: "loss" })).toBeUndefined();
    expect(registry.nameOf(Dense)).toBe("Dense");
    expect(registry.entryOf(Dense)).toBe(entry);
    expect(registry.nameOf(MyLayer)).toBeUndefined();
  });

  it("registers plain functions by name", () => {
    const registry = createRegistry();
    registry.register("relu", relu, { module: "keras.activations", kind: "activation" });
    expect(registry.get("relu", { kind: "activation" })).toBe(relu);
    expect(registry.nameOf(relu)).toBe("relu");
  });

  it("keeps same-named objects of different kinds apart", () => {
    class LossMse {}
    class MetricMse {}
    const registry = createRegistry();
    registry.register("MeanSquaredError", LossMse, { module: "keras.losses", kind: "loss" });
    registry.register("MeanSquaredError", MetricMse, { module: "keras.metrics", kind: "metric" });
    expect(registry.get("MeanSquaredError", { kind: "metric" })).toBe(MetricMse);
    expect(registry.get("MeanSquaredError", { kind: "loss" })).toBe(LossMse);
    expect(registry.get("MeanSquaredError", { module: "keras.metrics" })).toBe(MetricMse);
    // No kind and no module: the earliest registration.
    expect(registry.get("MeanSquaredError")).toBe(LossMse);
  });

  it("refuses to rebind a taken name unless asked, and accepts the same value twice", () => {
    const registry = createRegistry();
    const first = registry.register("X", Dense);
    expect(registry.register("X", Dense)).toBe(first);
    expect(() => registry.register("X", MyLayer)).toThrowError(
      'cannot register "X": the name is already taken by Dense; pass { replace: true } to rebind it, or register it under another package or name',
    );
    registry.register("X", MyLayer, { replace: true });
    expect(registry.get("X")).toBe(MyLayer);
    expect(registry.ownEntries().map((e) => e.value)).toEqual([MyLayer]);
  });

  it("rejects values that are neither classes nor functions", () => {
    const registry = createRegistry();
    const bad = () => registry.register("x", 3 as unknown as typeof relu);
    expect(bad).toThrowError(RegistryError);
    expect(bad).toThrowError('cannot register "x": expected a class or a function, got number');
    try {
      bad();
    } catch (error) {
      expect((error as RegistryError).code).toBe("invalid-value");
    }
  });
});

describe("scopes", () => {
  it("fall through to the parent and shadow it", () => {
    const root = createRegistry();
    root.register("Dense", Dense, { module: "keras.layers", kind: "layer" });
    root.register("MyLayer", Dense);
    const scope = createRegistry({ parent: root, objects: { MyLayer } });
    expect(scope.parent).toBe(root);
    expect(scope.get("Dense")).toBe(Dense);
    expect(scope.get("MyLayer")).toBe(MyLayer);
    expect(root.get("MyLayer")).toBe(Dense);
    // Registering in a scope never touches the parent.
    scope.register("Extra", relu);
    expect(root.get("Extra")).toBeUndefined();
  });

  it("nest by extending, not replacing", () => {
    class A {}
    class B {}
    const outer = createRegistry({ objects: { A } });
    const inner = outer.scope(new Map([["B", B]]));
    expect(inner.get("A")).toBe(A);
    expect(inner.get("B")).toBe(B);
    expect(outer.get("B")).toBeUndefined();
  });

  it("try names in order within a scope before moving to the parent", () => {
    class Registered {}
    class Plain {}
    const root = createRegistry();
    root.register("MyPkg>MyLayer", Registered);
    const scope = root.scope({ MyLayer: Plain });
    // The scope's bare name wins over the parent's registered name: innermost scope first.
    expect(scope.get("MyPkg>MyLayer")).toBe(Registered);
    expect(scope.lookup(["MyPkg>MyLayer", "MyLayer"])?.value).toBe(Plain);
    expect(root.lookup(["MyPkg>MyLayer", "MyLayer"])?.value).toBe(Registered);
  });

  it("find the innermost registration of an object", () => {
    const root = createRegistry();
    root.register("Custom>MyLayer", MyLayer);
    const scope = root.scope({ Alias: MyLayer });
    expect(scope.nameOf(MyLayer)).toBe("Alias");
    expect(root.nameOf(MyLayer)).toBe("Custom>MyLayer");
  });

  it("customObjectScope hands a scoped registry to fn and returns its result", async () => {
    const parent = createRegistry();
    parent.register("Dense", Dense);
    const result = customObjectScope(
      { MyLayer },
      (registry) => {
        expect(registry.parent).toBe(parent);
        return customObjectScope({ relu }, (inner) => [inner.get("Dense"), inner.get("MyLayer"), inner.get("relu")], {
          parent: registry,
        });
      },
      { parent },
    );
    expect(result).toEqual([Dense, MyLayer, relu]);
    const viaDefault = await customObjectScope({ MyLayer }, async (registry) => registry.parent);
    expect(viaDefault).toBe(defaultRegistry);
  });
});

describe("registerSerializable", () => {
  it("registers under package>Name with Custom as the default package", () => {
    const registry = createRegistry();
    class Thing {}
    expect(registerSerializable(Thing, { registry })).toBe(Thing);
    expect(registry.get("Custom>Thing")).toBe(Thing);
    expect(registry.entryOf(Thing)).toMatchObject({
      name: "Custom>Thing",
      className: "Thing",
      registeredName: "Custom>Thing",
      module: null,
    });
  });

  it("takes package and name, and keeps the class name for class_name", () => {
    const registry = createRegistry();
    class Thing {}
    const entry = registerSerializableEntry(Thing, { registry, package: "MyPkg", name: "Fancy", kind: "layer" });
    expect(entry.name).toBe("MyPkg>Fancy");
    expect(entry.className).toBe("Thing");
    expect(entry.kind).toBe("layer");
    expect(registry.nameOf(Thing)).toBe("MyPkg>Fancy");
  });

  it("works as a decorator", () => {
    const registry = createRegistry();
    @registerSerializable({ package: "MyPkg", registry })
    class Decorated {}
    const fn = registerSerializable({ package: "Fns", registry })(relu);
    expect(fn).toBe(relu);
    expect(registry.get("MyPkg>Decorated")).toBe(Decorated);
    expect(registry.get("Fns>relu")).toBe(relu);
  });

  it("registers nothing in the default registry unless told to", () => {
    expect(defaultRegistry.ownEntries()).toEqual([]);
  });

  it("rejects bad packages and anonymous values", () => {
    const registry = createRegistry();
    expect(() => registerSerializable(MyLayer, { registry, package: "a>b" })).toThrowError(
      'cannot register "MyLayer": the package "a>b" is empty or contains ">"',
    );
    const anonymous = (
      () => () =>
        0
    )();
    expect(() => registerSerializable(anonymous, { registry })).toThrowError(
      "cannot register an anonymous class or function: it has no name; pass { name } in the options",
    );
  });
});

describe("kindLabel", () => {
  it("spells kinds as words", () => {
    expect(kindLabel("dtype-policy")).toBe("dtype policy");
    expect(kindLabel("layer")).toBe("layer");
    expect(kindLabel(undefined)).toBe("object");
  });
});
