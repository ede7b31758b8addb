import { EngineError } from "../../errors.js";
/** The logs a callback gets: metric names to values (`loss`, `val_loss`, `accuracy`, ...). */
export type Logs = Record<string, number>;

/** What a callback can reach of the run: the model being trained and its optimizer. */
export interface CallbackContext {
  /** Set to true to end training after the current epoch (EarlyStopping, TerminateOnNaN). */
  stopTraining: boolean;
  /** The optimizer's current plain learning rate; settable (ReduceLROnPlateau). */
  learningRate: number;
  /** The fit parameters (`epochs`, `steps`, `verbose`). */
  readonly params: { readonly epochs: number; readonly steps: number; readonly verbose: 0 | 1 | 2 };
  /** The model object `fit` was called on, for callbacks that save it. */
  readonly model: unknown;
}

/**
 * A training callback (Keras's `keras.callbacks.Callback`): hooks called by fit, evaluate and
 * predict. Every hook may be async; the loop awaits it.
 */
export class Callback {
  /** Set by the loop before `onTrainBegin`. */
  context: CallbackContext | undefined;

  onTrainBegin(_logs: Logs): void | Promise<void> {}
  onTrainEnd(_logs: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
  onTestBegin(_logs: Logs): void | Promise<void> {}
  onTestEnd(_logs: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
  onPredictBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}

  /** The context, or an error when the callback is used outside a run. */
  protected get ctx(): CallbackContext {
    if (this.context === undefined)
      throw new EngineError(
        "not-built",
        "cannot use a callback's context: the callback is used outside fit/evaluate/predict",
      );
    return this.context;
  }
}

type Hook = "onTrainBegin" | "onTrainEnd" | "onTestBegin" | "onTestEnd";
type IndexedHook =
  | "onEpochBegin"
  | "onEpochEnd"
  | "onTrainBatchBegin"
  | "onTrainBatchEnd"
  | "onTestBatchEnd"
  | "onPredictBatchEnd";

/** Calls every callback's hook in order. */
export class CallbackList {
  constructor(readonly callbacks: readonly Callback[]) {}

  setContext(context: CallbackContext): void {
    for (const c of this.callbacks) c.context = context;
  }

  async call(hook: Hook, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c[hook](logs);
  }

  async callAt(hook: IndexedHook, index: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c[hook](index, logs);
  }
}

/** Records each epoch's logs (Keras's `History`): `history.loss[epoch]`, `epoch[i]`. */
export class History extends Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};

  override onTrainBegin(): void {
    this.epoch.length = 0;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      const list = this.history[k] ?? [];
      list.push(v);
      this.history[k] = list;
    }
  }
}
