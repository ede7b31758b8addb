import { Callback, type Logs } from "./callback.js";
import { EngineError } from "../../errors.js";

/** Sets the learning rate at each epoch's start from `schedule(epoch, currentRate)`. */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: (epoch: number, lr: number) => number) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, this.ctx.learningRate);
    if (!Number.isFinite(lr))
      throw new EngineError(
        "invalid-argument",
        `cannot set the learning rate in LearningRateScheduler: the schedule returned ${lr} for epoch ${epoch}`,
      );
    this.ctx.learningRate = lr;
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = this.ctx.learningRate;
  }
}
