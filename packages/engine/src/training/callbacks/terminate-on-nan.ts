import { Callback, type Logs } from "./callback.js";

/** Stops training when a batch's loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  /** The batch that stopped training, if any. */
  stoppedAtBatch: number | null = null;

  override onTrainBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.stoppedAtBatch = batch;
      this.ctx.stopTraining = true;
    }
  }
}
