import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot, isJsonObject } from "@kerastore/core";
import { type ConfigField, field } from "../config-fields.js";
import { deserializeLayer } from "../deserialize.js";
import { gruSequence } from "../ops/gru-sequence.js";
import { lstmSequence, lstmSequenceForward } from "../ops/lstm-sequence.js";
import { simpleRnnSequence } from "../ops/rnn-sequence.js";
import { EngineError } from "../errors.js";
import type { FromConfigContext } from "../keras-object.js";
import { type CallOptions, Layer, type LayerArgs, layerArgsFromConfig } from "../layer.js";
import { serializeLayer } from "../model.js";
import type { Shape } from "../symbolic.js";
import { withActivityRegularizer } from "./layer-utils.js";
import { type CellArgs, GRUCell, LSTMCell, type RNNCell, SimpleRNNCell, cellFields } from "./recurrent-cells.js";

/** Options every recurrent layer takes beside its cell's. */
export interface RNNArgs extends LayerArgs {
  readonly returnSequences?: boolean | undefined;
  readonly returnState?: boolean | undefined;
  /** Process the sequence from its end; the returned sequence is in processing order. */
  readonly goBackwards?: boolean | undefined;
  /** Keep the last states between calls (reset with `resetStates`). */
  readonly stateful?: boolean | undefined;
  /** Accepted and ignored (the loop is always a loop). */
  readonly unroll?: boolean | undefined;
  readonly zeroOutputForMask?: boolean | undefined;
  /** Keras 2: the input is `[steps, batch, features]`. */
  readonly timeMajor?: boolean | undefined;
}

const rnnFields: ConfigField[] = [
  field("return_sequences", "returnSequences", false),
  field("return_state", "returnState", false),
  field("go_backwards", "goBackwards", false),
  field("stateful", "stateful", false),
  field("unroll", "unroll", false),
  field("zero_output_for_mask", "zeroOutputForMask", false),
];

/**
 * A recurrent layer: runs its `cell` (a child layer, so weights read `lstm/lstm_cell/kernel`)
 * over the time axis. The input projection is one product over all steps; each step then
 * multiplies the state by the recurrent kernel (plain products, no transposes).
 *
 * Inputs: `x`, or `[x, ...initialStates]`. Outputs: the last output (or the whole sequence
 * with `returnSequences`), then the final states with `returnState`.
 */
export class RNN extends Layer {
  static override readonly className: string = "RNN";
  static override readonly fields: readonly ConfigField[] = rnnFields;
  static readonly callKwargs = { training: false, mask: null };
  declare readonly returnSequences: boolean;
  declare readonly returnState: boolean;
  declare readonly goBackwards: boolean;
  declare readonly stateful: boolean;
  declare readonly unroll: boolean;
  declare readonly zeroOutputForMask: boolean;
  readonly timeMajor: boolean;
  readonly cell: RNNCell;
  /** The states a stateful layer carries between calls. */
  private kept: tf.Tensor2D[] | undefined;

  constructor(args: RNNArgs & { readonly cell: RNNCell }) {
    super(args);
    this.timeMajor = args.timeMajor ?? false;
    this.cell = this.trackLayer(args.cell, "cell");
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = this.sequenceShape(inputShape);
    if (shape.length !== 3) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `${this.className} layer "${this.name}"`,
          `expected input of rank 3 [batch, steps, features], got ${JSON.stringify(shape)}`,
        ),
      );
    }
    this.cell.maybeBuild([shape[0] ?? null, shape[2] ?? null]);
    super.build(inputShape);
  }

  private sequenceShape(inputShape: Shape | Shape[]): Shape {
    const s =
      inputShape.length > 0 && Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0]! : (inputShape as Shape);
    return this.timeMajor ? [s[1] ?? null, s[0] ?? null, ...s.slice(2)] : s;
  }

  /** Forgets the states of a stateful layer. */
  resetStates(): void {
    for (const t of this.kept ?? []) t.dispose();
    this.kept = undefined;
  }

  /** Frees the carried states with the weights. */
  override dispose(): void {
    this.resetStates();
    super.dispose();
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor | tf.Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const cell = this.cell;
    const result = tf.tidy(() => {
      let x = tf.cast(list[0]!, "float32");
      if (x.rank !== 3) {
        throw new EngineError(
          "invalid-shape",
          cannot(
            "call",
            `${this.className} layer "${this.name}"`,
            `expected input of rank 3, got shape [${x.shape.join(", ")}]`,
          ),
        );
      }
      // Time-major from here: each step's rows of the projection are contiguous.
      if (!this.timeMajor) x = tf.transpose(x, [1, 0, 2]);
      const [steps, batch, features] = x.shape as [number, number, number];
      if (this.goBackwards) x = tf.reverse(x, 0);
      const given = list.slice(1);
      let states: tf.Tensor2D[];
      if (given.length > 0) {
        if (given.length !== cell.stateCount) {
          throw new EngineError(
            "invalid-argument",
            cannot(
              "call",
              `${this.className} layer "${this.name}"`,
              `it takes ${cell.stateCount} initial states, got ${given.length}`,
            ),
          );
        }
        states = given.map((s) => tf.cast(s, "float32") as tf.Tensor2D);
      } else if (this.stateful && this.kept !== undefined && this.kept[0]!.shape[0] === batch) {
        states = this.kept.map((s) => s.clone());
      } else {
        states = Array.from({ length: cell.stateCount }, () => tf.zeros([batch, cell.units]) as tf.Tensor2D);
      }
      const training = options.training === true;
      const projected = cell.project(tf.reshape(x, [steps * batch, features]) as tf.Tensor2D, training);
      const width = projected.shape[1];
      // Inference reads the projection once and makes each step's rows from host memory: on
      // WASM, slicing rows of a large tensor costs as much as copying all of it (10-18 ms a
      // step at [3200, 512] against 0.5 ms). Training splits it into steps in one op, whose
      // gradient is one concat (a slice per step would pad each step's gradient to the whole
      // projection and sum them: quadratic in the steps).
      // Inference runs the LSTM's fused forward too (on WASM one kernel for all the steps).
      const fused =
        steps > 0 && (training || cell instanceof LSTMCell)
          ? fusedSequence(cell, projected, states, training)
          : undefined;
      if (fused !== undefined) {
        // One op for the whole sequence, with a hand-written backward pass (ops/*-sequence.ts).
        const [seq, finalStates] = fused;
        let out: tf.Tensor = finalStates[0]!;
        if (this.returnSequences) out = this.timeMajor ? seq : tf.transpose(seq, [1, 0, 2]);
        return [out, ...finalStates];
      }
      const host = training ? undefined : (projected.dataSync() as Float32Array);
      const split = training && steps > 0 ? (tf.split(projected, steps, 0) as tf.Tensor2D[]) : [];
      const stepInput = (t: number): tf.Tensor2D =>
        host === undefined
          ? split[t]!
          : tf.tensor2d(host.subarray(t * batch * width, (t + 1) * batch * width), [batch, width]);
      const consts = cell.prepare();
      const outputs: tf.Tensor2D[] = [];
      let last: tf.Tensor2D = tf.zeros([batch, cell.units]);
      for (let t = 0; t < steps; t++) {
        // Each step's temporaries go at once; its output and states live to the end.
        const prev = states;
        const [out, ...next] = tf.tidy(() => {
          const [o, s] = cell.step(stepInput(t), prev, consts, training);
          return [o, ...s];
        }) as tf.Tensor2D[];
        states = next;
        last = out!;
        if (this.returnSequences) outputs.push(out!);
      }
      let out: tf.Tensor = last;
      if (this.returnSequences) {
        const stacked = steps === 0 ? tf.zeros([0, batch, cell.units]) : tf.stack(outputs, 0);
        out = this.timeMajor ? stacked : tf.transpose(stacked, [1, 0, 2]);
      }
      return [out, ...states];
    });
    const [out, ...states] = result;
    if (this.stateful) {
      this.resetStates();
      this.kept = states.map((s) => tf.keep(s.clone()) as tf.Tensor2D);
    }
    if (!this.returnState) {
      // Without return_sequences the output is the last state itself.
      for (const s of states) if (s !== out) s.dispose();
      return out!;
    }
    return [out!, ...states];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const s = this.sequenceShape(inputShape);
    const units = this.cell.units;
    const main: Shape = this.returnSequences
      ? this.timeMajor
        ? [s[1] ?? null, s[0] ?? null, units]
        : [s[0] ?? null, s[1] ?? null, units]
      : [s[0] ?? null, units];
    if (!this.returnState) return main;
    return [main, ...Array.from({ length: this.cell.stateCount }, (): Shape => [s[0] ?? null, units])];
  }

  override getConfig(): JsonObject {
    const config = super.getConfig();
    config.cell = serializeLayer(this.cell);
    return config;
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const args = layerArgsFromConfig(RNN, config, ctx);
    if (!isJsonObject(config.cell)) {
      throw new EngineError(
        "invalid-config",
        cannot("read", `RNN layer "${String(config.name)}"`, 'expected a "cell" object'),
      );
    }
    const cell = deserializeLayer(config.cell, ctx);
    return new this({ ...args, cell, timeMajor: config.time_major === true } as never);
  }
}

/** A recurrent layer whose cell options sit flat in its own config (SimpleRNN, LSTM, GRU). */
abstract class FlatRNN extends RNN {
  protected static makeCell(_args: CellArgs): RNNCell {
    throw new EngineError(
      "unsupported",
      cannot("make", "the cell of a recurrent layer", "this class does not override makeCell"),
    );
  }

  // No arguments at all (`new LSTM()`) reaches the cell's own check of `units`, a typed error.
  constructor(args: RNNArgs & CellArgs = {} as RNNArgs & CellArgs) {
    const cls = new.target as unknown as typeof FlatRNN;
    const cellArgs: Record<string, unknown> = {};
    const all = args as unknown as Record<string, unknown>;
    const rnnProps = new Set(rnnFields.map((f) => f.prop));
    for (const f of cls.fields) if (!rnnProps.has(f.prop) && all[f.prop] !== undefined) cellArgs[f.prop] = all[f.prop];
    const cell = cls.makeCell({ ...(cellArgs as unknown as CellArgs), dtype: args.dtype, trainable: args.trainable });
    super({ ...args, cell });
    // The cell's options are the layer's own config fields.
    for (const f of cls.fields)
      if (!rnnProps.has(f.prop))
        (this as unknown as Record<string, unknown>)[f.prop] = (cell as unknown as Record<string, unknown>)[f.prop];
  }

  override getConfig(): JsonObject {
    const config = withActivityRegularizer(this, Layer.prototype.getConfig.call(this));
    return config;
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const cls = this as unknown as typeof FlatRNN;
    const args = layerArgsFromConfig(cls, config, ctx);
    return new this({ ...args, timeMajor: config.time_major === true, ...cls.keras2Defaults(config) } as never);
  }

  /** Options whose default changed since Keras 2, read from a config that lacks them. */
  protected static keras2Defaults(_config: JsonObject): Record<string, unknown> {
    return {};
  }
}

/** A fully connected recurrence; weights `simple_rnn_cell/{kernel, recurrent_kernel, bias}`. */
export class SimpleRNN extends FlatRNN {
  static override readonly className: string = "SimpleRNN";
  static override readonly fields = [...rnnFields, ...cellFields("simple")];
  protected static override makeCell(args: CellArgs): RNNCell {
    return new SimpleRNNCell({ ...args, name: "simple_rnn_cell" });
  }
}

/** Long short-term memory; weights `lstm_cell/{kernel, recurrent_kernel, bias}`, gates i, f, c, o. */
export class LSTM extends FlatRNN {
  static override readonly className: string = "LSTM";
  static override readonly fields = [...rnnFields, ...cellFields("lstm")];
  protected static override makeCell(args: CellArgs): RNNCell {
    return new LSTMCell({ ...args, name: "lstm_cell" });
  }
}

/** Gated recurrent unit; weights `gru_cell/{kernel, recurrent_kernel, bias}`, gates z, r, h. */
export class GRU extends FlatRNN {
  static override readonly className: string = "GRU";
  static override readonly fields = [...rnnFields, ...cellFields("gru")];
  protected static override makeCell(args: CellArgs): RNNCell {
    return new GRUCell({ ...args, name: "gru_cell" });
  }

  // Keras before 2.3 had no reset_after: its GRU is the reset_after=false one.
  protected static override keras2Defaults(config: JsonObject): Record<string, unknown> {
    return config.reset_after === undefined ? { resetAfter: false } : {};
  }
}

const builtin = (a: { builtin: boolean; name: string }, name: string) => a.builtin && a.name === name;

/**
 * Training's fused sequence ops (one op per sequence, hand-written backward pass): the outputs
 * of every step ([steps, batch, units]) and the final states; undefined for a cell they do not
 * cover (other activations, GRU without reset_after), which runs step by step.
 */
function fusedSequence(
  cell: RNNCell,
  xp: tf.Tensor2D,
  states: tf.Tensor2D[],
  training = true,
): [tf.Tensor3D, tf.Tensor2D[]] | undefined {
  const steps = xp.shape[0] / states[0]!.shape[0];
  const [batch, units] = states[0]!.shape;
  const row = (seq: tf.Tensor, t: number) =>
    tf.reshape(tf.slice(seq, [t, 0, 0], [1, batch, units]), [batch, units]) as tf.Tensor2D;
  const u = cell.recurrentKernel!.value as tf.Tensor2D;
  if (!builtin(cell.activation, "tanh")) return undefined;
  if (cell instanceof LSTMCell && builtin(cell.recurrentActivation, "sigmoid")) {
    // The LSTM op returns the outputs, then the last cell state.
    const seq = (training ? lstmSequence : lstmSequenceForward)(xp, u, states[0]!, states[1]!);
    return [tf.slice(seq, [0, 0, 0], [steps, batch, units]) as tf.Tensor3D, [row(seq, steps - 1), row(seq, steps)]];
  }
  if (cell instanceof GRUCell && cell.resetAfter && builtin(cell.recurrentActivation, "sigmoid")) {
    const br = (cell.prepare()[0] as tf.Tensor1D | undefined) ?? tf.zeros([3 * units]);
    const seq = gruSequence(xp, u, br, states[0]!);
    return [seq, [row(seq, steps - 1)]];
  }
  if (cell instanceof SimpleRNNCell) {
    const seq = simpleRnnSequence(xp, u, states[0]!);
    return [seq, [row(seq, steps - 1)]];
  }
  return undefined;
}
