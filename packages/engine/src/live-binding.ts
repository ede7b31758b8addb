import {
  type HostTensor,
  type JsonObject,
  type SavedNode,
  type SavedSlot,
  type SavedVariable,
  hostTensor,
} from "@kerastore/core";
import type { Layer } from "./layer.js";
import type { Model } from "./model.js";
import { layerToSavedNode } from "./saved-tree.js";
import type { Variable } from "./variable.js";
import { OPTIMIZER_MARK } from "./checkpoint-tree.js";

/** One optimizer variable as a checkpoint sees it (the engine's `OptimizerVariable`). */
export interface CheckpointOptimizerVariable {
  readonly name: string;
  readonly path: string;
  readonly dtype: "int64" | "float32";
  readonly shape: readonly number[];
  /** For a slot: its Keras 3 name (`momentum`) and the model variable it belongs to. */
  readonly slotName?: string | undefined;
  readonly original?: unknown;
}

/**
 * What a checkpoint needs of an optimizer: the engine's training optimizers (`Adam`, `SGD`, ...)
 * have all of it. Variables come in Keras 3 order (`iteration`, `learning_rate`, slots).
 */
export interface CheckpointOptimizer {
  readonly name: string;
  readonly className: string;
  readonly built: boolean;
  build(variables: readonly Variable[]): void;
  variables(): readonly CheckpointOptimizerVariable[];
  getWeights(): (Float32Array | BigInt64Array)[];
  setWeights(values: readonly (ArrayLike<number> | BigInt64Array)[], variables?: readonly Variable[]): void;
  getConfig(): JsonObject;
}

/** True for an object with the optimizer methods a checkpoint uses. */
export function isCheckpointOptimizer(value: unknown): value is CheckpointOptimizer {
  const o = value as Partial<CheckpointOptimizer> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.variables === "function" &&
    typeof o.getWeights === "function" &&
    typeof o.setWeights === "function"
  );
}

/** The optimizer a model carries (`model.optimizer` once the engine's models compile), if any. */
export function optimizerOf(model: Model): CheckpointOptimizer | undefined {
  const candidate = (model as unknown as { optimizer?: unknown }).optimizer;
  return isCheckpointOptimizer(candidate) ? candidate : undefined;
}

interface BoundOptimizer {
  readonly optimizer: CheckpointOptimizer;
  readonly trainables: readonly Variable[];
  /** Parallel to `optimizer.variables()`; undefined for slots of variables outside the checkpoint. */
  readonly saved: (SavedVariable | undefined)[];
  readonly before: HostTensor[];
}

/**
 * Live objects (models, layers, variables, optimizers) as one saved object tree whose
 * `SavedVariable`s are snapshots of the live values, remembering which live variable each
 * stands for: write the tree as a checkpoint, or restore into it and {@link apply} the values
 * that changed. A layer or variable reached twice is one node or variable.
 */
export class LiveBinding {
  readonly #nodes = new Map<Layer, SavedNode>();
  readonly #registered = new Set<Layer>();
  readonly #variables = new Map<SavedVariable, { variable: Variable; before: HostTensor }>();
  readonly #byVariable = new Map<Variable, SavedVariable>();
  readonly #optimizers: BoundOptimizer[] = [];

  /** A layer (or model) and everything it tracks, as saved nodes (docs/saved-tree.md). */
  layer(layer: Layer): SavedNode {
    const node = layerToSavedNode(layer, this.#nodes);
    for (const [live, saved] of this.#nodes) {
      if (this.#registered.has(live)) continue;
      this.#registered.add(live);
      // layerToSavedNode snapshots `ownWeights` in order: pair them back.
      saved.variables = live.ownWeights.map((v, i) => this.#bind(v, saved.variables[i]!));
    }
    return node;
  }

  /**
   * A model with its optimizer as the `optimizer` edge (when given): the tree `save_weights`
   * writes. The optimizer is built on the model's trainable weights first when it is not.
   */
  model(model: Model, optimizer?: CheckpointOptimizer): SavedNode {
    const node = this.layer(model);
    if (optimizer !== undefined && !node.children.some((e) => e.name === "optimizer")) {
      node.children.push({ name: "optimizer", node: this.optimizer(optimizer, model.trainableWeights) });
    }
    return node;
  }

  /** A single variable. */
  variable(variable: Variable): SavedVariable {
    return (
      this.#byVariable.get(variable) ??
      this.#bind(variable, {
        name: variable.name,
        path: variable.path,
        trainable: variable.trainable,
        value: variable.read(),
      })
    );
  }

  /**
   * An optimizer as a saved node: `iteration`, `learning_rate`, then slots of the variables
   * bound so far (bind models first), linked to them in `slots`.
   */
  optimizer(optimizer: CheckpointOptimizer, trainables: readonly Variable[] = []): SavedNode {
    if (!optimizer.built && trainables.length > 0) optimizer.build(trainables);
    const values = optimizer.getWeights();
    const node: SavedNode = {
      className: optimizer.className,
      name: optimizer.name,
      config: optimizer.getConfig(),
      variables: [],
      children: [],
    };
    node.extras = { [OPTIMIZER_MARK]: true };
    const slots: SavedSlot[] = [];
    const before: HostTensor[] = [];
    const saved = optimizer.variables().map((v, i): SavedVariable | undefined => {
      const data = values[i]!;
      const value =
        v.dtype === "int64"
          ? hostTensor("int64", [...v.shape], BigInt64Array.from(data as BigInt64Array))
          : hostTensor("float32", [...v.shape], Float32Array.from(data as Float32Array));
      before.push(value);
      const variable: SavedVariable = { name: v.slotName ?? v.name, path: v.path, trainable: false, value };
      if (v.slotName !== undefined) {
        const original = this.#byVariable.get(v.original as Variable);
        if (original === undefined) return undefined;
        slots.push({ original, slotName: v.slotName, slot: variable });
      }
      node.variables.push(variable);
      return variable;
    });
    if (slots.length > 0) node.slots = slots;
    this.#optimizers.push({ optimizer, trainables, saved, before });
    return node;
  }

  /**
   * Puts every value a restore changed into its live variable (optimizers through
   * `setWeights`, building them first when needed). Returns how many variables were set.
   */
  apply(): number {
    let count = 0;
    for (const [saved, bound] of this.#variables) {
      if (saved.value === bound.before) continue;
      bound.variable.assign(saved.value, bound.variable.path);
      bound.before = saved.value;
      count++;
    }
    for (const bound of this.#optimizers) {
      const changed = bound.saved.filter((s, i) => s !== undefined && s.value !== bound.before[i]).length;
      if (changed === 0) continue;
      const values = bound.saved.map((s, i) => {
        const t = s?.value ?? bound.before[i]!;
        return t.dtype === "int64" ? (t.data as BigInt64Array) : Float32Array.from(t.data as ArrayLike<number>);
      });
      bound.optimizer.setWeights(values, bound.trainables.length > 0 ? bound.trainables : undefined);
      count += changed;
    }
    return count;
  }

  #bind(variable: Variable, saved: SavedVariable): SavedVariable {
    const known = this.#byVariable.get(variable);
    if (known !== undefined) return known;
    this.#byVariable.set(variable, saved);
    this.#variables.set(saved, { variable, before: saved.value });
    return saved;
  }
}
