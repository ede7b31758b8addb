import { cannot, formatShape } from "@kerastore/core";
import { EngineError } from "./errors.js";

/**
 * How much a config may make the engine allocate while it is rebuilt, checked before each
 * allocation (a weight, or the zeros a layer runs on to find its output shape).
 *
 * A config declares sizes (`units`, `filters`, `input_dim`, shapes) that nothing bounds but
 * the file's honesty: a 2 KB `.json` can ask for gigabytes. Loading checks every declared
 * size against this budget, and a file that holds weights also against them (no weight can
 * be larger than the largest one the file holds, nor all together more than the file holds).
 */
export interface WeightBudget {
  /**
   * Most bytes all weights (and any one shape-inference tensor) together may take. Default
   * {@link DEFAULT_WEIGHT_BUDGET_BYTES} for a file with weights (which bound the sizes too),
   * {@link DEFAULT_CONFIG_BUDGET_BYTES} for a config alone, whose sizes nothing vouches for.
   */
  readonly maxBytes?: number | undefined;
  /** The file's weights: what the config's sizes must agree with. Absent for configs without weights. */
  readonly fileWeights?: FileWeightSizes | undefined;
  /** The file, for messages. */
  readonly where?: string | undefined;
  /**
   * Make weights as zeros and leave their initializers pending (see `initializeUnloaded`):
   * the file's values replace them, so running e.g. an Orthogonal initializer first is wasted
   * time (seconds for a large LSTM). Default: true when `fileWeights` is given.
   */
  readonly deferInitializers?: boolean | undefined;
}

/** The sizes of the weights a file holds, in values (not bytes). */
export interface FileWeightSizes {
  /** The largest weight's shape. */
  readonly largest: readonly number[];
  /** Values in all the file's weights together. */
  readonly total: number;
}

/**
 * The default budget: 2 GiB of weights (512 M float32 values), more than any model the WASM
 * backend can hold (its memory is at most 4 GiB), far less than a lying size field asks for.
 */
export const DEFAULT_WEIGHT_BUDGET_BYTES = 2 * 1024 ** 3;

/**
 * The default budget of a config without weights (`.json`, `modelFromJson`): 64 MiB (16 M
 * float32 values), so a few KB of text cannot make the process allocate more than a few
 * hundred MB; a model that really is larger loads with `weightBudget: { maxBytes }` raised.
 */
export const DEFAULT_CONFIG_BUDGET_BYTES = 64 * 1024 ** 2;

// Values a model may create beyond what its file holds: variables Keras does not save
// (seed generators, counters) are small.
const UNSAVED_SLACK_VALUES = 1 << 16;

interface ActiveBudget {
  readonly maxBytes: number;
  readonly fileWeights: FileWeightSizes | undefined;
  readonly largestValues: number;
  readonly where: string | undefined;
  readonly deferInitializers: boolean;
  usedBytes: number;
  usedValues: number;
  /** What the rebuild allocated so far: freed if it fails. */
  readonly created: { dispose(): void }[];
}

let active: ActiveBudget | undefined;

/** Runs `fn` (a rebuild from a config) with every allocation checked against `budget`; budgets nest. */
export function withWeightBudget<T>(budget: WeightBudget, fn: () => T): T {
  const outer = active;
  const fileWeights = budget.fileWeights;
  active = {
    maxBytes:
      budget.maxBytes ?? (fileWeights === undefined ? DEFAULT_CONFIG_BUDGET_BYTES : DEFAULT_WEIGHT_BUDGET_BYTES),
    fileWeights,
    largestValues: fileWeights === undefined ? 0 : valuesOf(fileWeights.largest),
    where: budget.where,
    deferInitializers: budget.deferInitializers ?? fileWeights !== undefined,
    usedBytes: 0,
    usedValues: 0,
    created: [],
  };
  const created = active.created;
  try {
    return fn();
  } catch (error) {
    // A rebuild refused halfway frees the weights it made: nothing of it is reachable.
    for (const c of created) c.dispose();
    throw error;
  } finally {
    active = outer;
  }
}

/** The number of values of a shape; Infinity when a dimension is not a non-negative safe integer. */
export function valuesOf(shape: readonly (number | null)[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) return Number.POSITIVE_INFINITY;
    n *= d;
  }
  return n;
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * Checks a weight the config asks for before it is allocated: its shape is well formed, it
 * fits the budget, and (when the file holds weights) the file could hold it.
 */
export function chargeWeight(layer: string, weight: string, shape: readonly number[], dtype: string): void {
  const values = valuesOf(shape);
  const what = `weight "${weight}" of layer "${layer}"`;
  if (!Number.isFinite(values)) {
    throw new EngineError(
      "invalid-shape",
      cannot("make", what, `its shape ${formatShape(shape)} is not a list of non-negative integers`),
    );
  }
  const budget = active;
  if (budget === undefined) return;
  const bytes = values * (BYTES[dtype] ?? 4);
  const from = budget.where === undefined ? "" : ` in ${budget.where}`;
  const file = budget.fileWeights;
  if (file !== undefined && values > Math.max(budget.largestValues, UNSAVED_SLACK_VALUES)) {
    throw new EngineError(
      "weight-mismatch",
      cannot(
        "build",
        what,
        `the config asks for shape ${formatShape(shape)} (${values} values), but the largest weight the file holds is ${formatShape(file.largest)}${from}`,
      ),
    );
  }
  if (file !== undefined && budget.usedValues + values > file.total + UNSAVED_SLACK_VALUES) {
    throw new EngineError(
      "weight-mismatch",
      cannot(
        "build",
        what,
        `with shape ${formatShape(shape)} the config asks for more values than the ${file.total} the file's weights hold${from}`,
      ),
    );
  }
  if (budget.usedBytes + bytes > budget.maxBytes) {
    throw new EngineError(
      "invalid-config",
      cannot(
        "build",
        what,
        `shape ${formatShape(shape)} takes the config's weights past the budget of ${budget.maxBytes} bytes${from}`,
        "if the model really is this large, raise the budget with the weightBudget option ({ maxBytes })",
      ),
    );
  }
  budget.usedBytes += bytes;
  budget.usedValues += values;
}

/** Whether weights made now start as zeros with their initializer pending (a load from a file with weights). */
export function initializersDeferred(): boolean {
  return active?.deferInitializers === true;
}

/** Records a weight made under the active budget, to be freed if the rebuild fails. */
export function recordWeight(weight: { dispose(): void }): void {
  active?.created.push(weight);
}

/** Checks a temporary tensor (the zeros shape inference runs a layer on) against the budget before it is made. */
export function checkTemporary(what: string, shape: readonly number[]): void {
  const values = valuesOf(shape);
  const max = active?.maxBytes ?? DEFAULT_WEIGHT_BUDGET_BYTES;
  if (!Number.isFinite(values) || values * 4 > max) {
    throw new EngineError(
      "invalid-shape",
      cannot(
        "call",
        what,
        `an input of shape ${formatShape(shape)} is past the budget of ${max} bytes`,
        "if the model really is this large, raise the budget with the weightBudget option ({ maxBytes })",
      ),
    );
  }
}
