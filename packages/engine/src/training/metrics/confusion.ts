import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { EngineError } from "../../errors.js";
import { Metric } from "./metric.js";

const EPS = 1e-7;

/** Per-threshold weighted counts of true/false positives/negatives over all elements. */
class Confusion {
  readonly tp: Float64Array;
  readonly fp: Float64Array;
  readonly tn: Float64Array;
  readonly fn: Float64Array;

  constructor(readonly thresholds: readonly number[]) {
    const n = thresholds.length;
    this.tp = new Float64Array(n);
    this.fp = new Float64Array(n);
    this.tn = new Float64Array(n);
    this.fn = new Float64Array(n);
  }

  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight: tf.Tensor | null | undefined): void {
    const p = yPred.dataSync();
    const t = yTrue.dataSync();
    if (t.length !== p.length) {
      throw new EngineError(
        "invalid-shape",
        cannot("update", "a confusion metric", `y_true has ${t.length} values, y_pred ${p.length}`),
      );
    }
    let w: ArrayLike<number> | null = null;
    if (sampleWeight !== null && sampleWeight !== undefined) {
      const weight = tf.tidy(() => {
        let x = tf.cast(sampleWeight, "float32");
        while (x.rank < yPred.rank) x = tf.expandDims(x, -1);
        return tf.broadcastTo(x, yPred.shape);
      });
      w = weight.dataSync();
      weight.dispose();
    }
    const th = this.thresholds.map((x) => Math.fround(x));
    for (let i = 0; i < p.length; i++) {
      const positive = t[i]! !== 0;
      const weight = w === null ? 1 : w[i]!;
      for (let k = 0; k < th.length; k++) {
        const above = p[i]! > th[k]!;
        if (positive) {
          if (above) this.tp[k]! += weight;
          else this.fn[k]! += weight;
        } else if (above) this.fp[k]! += weight;
        else this.tn[k]! += weight;
      }
    }
  }

  reset(): void {
    for (const a of [this.tp, this.fp, this.tn, this.fn]) a.fill(0);
  }
}

const divNoNan = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Options of {@link Precision} and {@link Recall}. */
export interface PrecisionRecallArgs {
  readonly name?: string | undefined;
  /** The decision threshold (default 0.5). */
  readonly thresholds?: number | null | undefined;
}

abstract class ThresholdMetric extends Metric {
  protected readonly confusion: Confusion;
  readonly thresholds: number | null;

  constructor(name: string, args: PrecisionRecallArgs) {
    super(args.name ?? name);
    this.thresholds = args.thresholds ?? null;
    this.confusion = new Confusion([this.thresholds ?? 0.5]);
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    this.confusion.update(yTrue, yPred, sampleWeight);
  }

  reset(): void {
    this.confusion.reset();
  }

  protected override ownConfig(): JsonObject {
    return { thresholds: this.thresholds, top_k: null, class_id: null };
  }
}

/** tp / (tp + fp) at a threshold, over every element (Keras's `Precision`). */
export class Precision extends ThresholdMetric {
  readonly className = "Precision";

  constructor(args: PrecisionRecallArgs = {}) {
    super("precision", args);
  }

  result(): number {
    return divNoNan(this.confusion.tp[0]!, this.confusion.tp[0]! + this.confusion.fp[0]!);
  }
}

/** tp / (tp + fn) at a threshold, over every element (Keras's `Recall`). */
export class Recall extends ThresholdMetric {
  readonly className = "Recall";

  constructor(args: PrecisionRecallArgs = {}) {
    super("recall", args);
  }

  result(): number {
    return divNoNan(this.confusion.tp[0]!, this.confusion.tp[0]! + this.confusion.fn[0]!);
  }
}

/** Options of {@link AUC}. */
export interface AUCArgs {
  readonly name?: string | undefined;
  /** Thresholds on [0, 1] (default 200). */
  readonly numThresholds?: number | undefined;
  /** `ROC` (default) or `PR`. */
  readonly curve?: "ROC" | "PR" | undefined;
  /** `interpolation` (default), `minoring` or `majoring`. */
  readonly summationMethod?: "interpolation" | "minoring" | "majoring" | undefined;
  /** Apply a sigmoid to predictions first. */
  readonly fromLogits?: boolean | undefined;
}

/** Area under the ROC or PR curve by Riemann sum over fixed thresholds (Keras's `AUC`). */
export class AUC extends Metric {
  readonly className = "AUC";
  readonly numThresholds: number;
  readonly curve: "ROC" | "PR";
  readonly summationMethod: "interpolation" | "minoring" | "majoring";
  readonly fromLogits: boolean;
  private readonly confusion: Confusion;

  constructor(args: AUCArgs = {}) {
    super(args.name ?? "auc");
    this.numThresholds = args.numThresholds ?? 200;
    if (!Number.isSafeInteger(this.numThresholds) || this.numThresholds <= 1 || this.numThresholds > 100_000) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", "AUC", `numThresholds must be an integer in 2..100000, got ${this.numThresholds}`),
      );
    }
    this.curve = args.curve ?? "ROC";
    this.summationMethod = args.summationMethod ?? "interpolation";
    this.fromLogits = args.fromLogits ?? false;
    const n = this.numThresholds;
    const inner = Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1));
    this.confusion = new Confusion([0 - EPS, ...inner, 1 + EPS]);
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    if (!this.fromLogits) {
      this.confusion.update(yTrue, yPred, sampleWeight);
      return;
    }
    const p = tf.sigmoid(yPred);
    try {
      this.confusion.update(yTrue, p, sampleWeight);
    } finally {
      p.dispose();
    }
  }

  reset(): void {
    this.confusion.reset();
  }

  result(): number {
    const { tp, fp, tn, fn } = this.confusion;
    const n = this.numThresholds;
    if (this.curve === "PR" && this.summationMethod === "interpolation") return this.interpolatedPr();
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const recall = divNoNan(tp[i]!, tp[i]! + fn[i]!);
      if (this.curve === "ROC") {
        x[i] = divNoNan(fp[i]!, fp[i]! + tn[i]!);
        y[i] = recall;
      } else {
        x[i] = recall;
        y[i] = divNoNan(tp[i]!, tp[i]! + fp[i]!);
      }
    }
    let area = 0;
    for (let i = 0; i < n - 1; i++) {
      const h =
        this.summationMethod === "interpolation"
          ? (y[i]! + y[i + 1]!) / 2
          : this.summationMethod === "minoring"
            ? Math.min(y[i]!, y[i + 1]!)
            : Math.max(y[i]!, y[i + 1]!);
      area += (x[i]! - x[i + 1]!) * h;
    }
    return area;
  }

  // Davis & Goadrich interpolation of the PR curve, in Keras's closed form.
  private interpolatedPr(): number {
    const { tp, fp, fn } = this.confusion;
    let area = 0;
    for (let i = 0; i < this.numThresholds - 1; i++) {
      const dtp = tp[i]! - tp[i + 1]!;
      const pA = tp[i]! + fp[i]!;
      const pB = tp[i + 1]! + fp[i + 1]!;
      const slope = divNoNan(dtp, Math.max(pA - pB, 0));
      const intercept = tp[i + 1]! - slope * pB;
      const ratio = pA > 0 && pB > 0 ? divNoNan(pA, Math.max(pB, 0)) : 1;
      area += divNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1]! + fn[i + 1]!, 0));
    }
    return area;
  }

  protected override ownConfig(): JsonObject {
    return {
      num_thresholds: this.numThresholds,
      curve: this.curve,
      summation_method: this.summationMethod,
      multi_label: false,
      num_labels: null,
      label_weights: null,
      from_logits: this.fromLogits,
    };
  }
}
