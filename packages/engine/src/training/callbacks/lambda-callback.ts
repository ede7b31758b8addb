import { Callback, type Logs } from "./callback.js";

/** Hooks given as functions (Keras's `LambdaCallback`). */
export interface LambdaCallbackArgs {
  readonly onEpochBegin?: ((epoch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onEpochEnd?: ((epoch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainBatchBegin?: ((batch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainBatchEnd?: ((batch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainBegin?: ((logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainEnd?: ((logs: Logs) => void | Promise<void>) | undefined;
}

/** A callback made of functions. */
export class LambdaCallback extends Callback {
  constructor(private readonly fns: LambdaCallbackArgs) {
    super();
  }

  override onEpochBegin(epoch: number, logs: Logs): void | Promise<void> {
    return this.fns.onEpochBegin?.(epoch, logs);
  }

  override onEpochEnd(epoch: number, logs: Logs): void | Promise<void> {
    return this.fns.onEpochEnd?.(epoch, logs);
  }

  override onTrainBatchBegin(batch: number, logs: Logs): void | Promise<void> {
    return this.fns.onTrainBatchBegin?.(batch, logs);
  }

  override onTrainBatchEnd(batch: number, logs: Logs): void | Promise<void> {
    return this.fns.onTrainBatchEnd?.(batch, logs);
  }

  override onTrainBegin(logs: Logs): void | Promise<void> {
    return this.fns.onTrainBegin?.(logs);
  }

  override onTrainEnd(logs: Logs): void | Promise<void> {
    return this.fns.onTrainEnd?.(logs);
  }
}
