import { cannot } from "@kerastore/core";
import * as gen from "./gen/index.js";
import { readBuiltinOptions } from "./builtin-options.js";
import { CheckedByteBuffer, OutOfBounds } from "./checked-byte-buffer.js";
import { TfliteError } from "./errors.js";
import {
  type TfliteModel,
  type TfliteOperator,
  type TfliteQuantization,
  type TfliteSubgraph,
  type TfliteTensor,
  tensorTypeName,
  tensorTypeSize,
} from "./tflite-model.js";

/** Options of `readTflite`. */
export interface ReadTfliteOptions {
  /** Names the file in error messages. */
  readonly path?: string | undefined;
}

/** The file identifier of a TFLite flatbuffer (bytes 4 to 7). */
export const TFLITE_IDENTIFIER = "TFL3";

/** True when `head` starts like a TFLite flatbuffer (`TFL3` at byte 4). */
export function isTflite(head: Uint8Array): boolean {
  return head.length >= 8 && head[4] === 0x54 && head[5] === 0x46 && head[6] === 0x4c && head[7] === 0x33;
}

/** Largest element count a tensor may declare (2^31 - 1, TFLite's int32 sizes). */
const MAX_ELEMENTS = 2 ** 31 - 1;

function ints(length: number, at: (i: number) => number | null): number[] {
  return Array.from({ length }, (_, i) => at(i) ?? 0);
}

function quantization(q: gen.QuantizationParameters | null): TfliteQuantization | undefined {
  if (q === null || q.scaleLength() === 0) return undefined;
  const scale = ints(q.scaleLength(), (i) => q.scale(i));
  const zeroPoint = Array.from({ length: q.zeroPointLength() }, (_, i) => Number(q.zeroPoint(i) ?? 0n));
  const out: TfliteQuantization = { scale, zeroPoint, quantizedDimension: q.quantizedDimension() };
  if (q.minLength() > 0)
    Object.assign(out, { min: ints(q.minLength(), (i) => q.min(i)), max: ints(q.maxLength(), (i) => q.max(i)) });
  return out;
}

function tensor(t: gen.Tensor): TfliteTensor {
  const out: TfliteTensor = {
    name: (t.name() as string | null) ?? "",
    shape: ints(t.shapeLength(), (i) => t.shape(i)),
    type: t.type(),
    buffer: t.buffer(),
  };
  const extra: { -readonly [K in keyof TfliteTensor]?: TfliteTensor[K] } = {};
  if (t.shapeSignatureLength() > 0) extra.shapeSignature = ints(t.shapeSignatureLength(), (i) => t.shapeSignature(i));
  const q = quantization(t.quantization());
  if (q !== undefined) extra.quantization = q;
  if (t.isVariable()) extra.isVariable = true;
  return { ...out, ...extra };
}

function operator(op: gen.Operator): TfliteOperator {
  const out: TfliteOperator = {
    opcodeIndex: op.opcodeIndex(),
    inputs: ints(op.inputsLength(), (i) => op.inputs(i)),
    outputs: ints(op.outputsLength(), (i) => op.outputs(i)),
  };
  const options = readBuiltinOptions(op.builtinOptionsType(), (obj) => op.builtinOptions(obj));
  return options === undefined ? out : { ...out, options };
}

function subgraph(s: gen.SubGraph): TfliteSubgraph {
  const name = s.name() as string | null;
  return {
    ...(name === null ? {} : { name }),
    tensors: Array.from({ length: s.tensorsLength() }, (_, i) => tensor(s.tensors(i)!)),
    inputs: ints(s.inputsLength(), (i) => s.inputs(i)),
    outputs: ints(s.outputsLength(), (i) => s.outputs(i)),
    operators: Array.from({ length: s.operatorsLength() }, (_, i) => operator(s.operators(i)!)),
  };
}

/**
 * Reads a `.tflite` flatbuffer into plain data.
 *
 * Every offset and vector length is checked against the bytes before it is followed, then the
 * model's own references (buffers, tensors, operator codes) and each constant tensor's size
 * against its shape and type: a damaged file gives a `TfliteError` naming the place, never a
 * read past the end or an allocation sized by a lying field. Buffer bytes are views into `bytes`.
 */
export function readTflite(bytes: Uint8Array, options: ReadTfliteOptions = {}): TfliteModel {
  const where = options.path ?? "TFLite model";
  if (!isTflite(bytes)) {
    throw new TfliteError(
      "corrupt",
      cannot("read", where, "it is not a TFLite flatbuffer (no TFL3 identifier at byte 4)"),
      { path: options.path },
    );
  }
  const bb = new CheckedByteBuffer(bytes);
  let model: TfliteModel;
  try {
    const root = gen.Model.getRootAsModel(bb);
    model = {
      version: root.version(),
      ...(root.description() === null ? {} : { description: root.description() as string }),
      operatorCodes: Array.from({ length: root.operatorCodesLength() }, (_, i) => {
        const c = root.operatorCodes(i)!;
        // Older files set only the deprecated byte; newer ones both (the larger is the code).
        const builtinCode = Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
        const custom = c.customCode() as string | null;
        return { builtinCode, version: c.version(), ...(custom === null ? {} : { customCode: custom }) };
      }),
      subgraphs: Array.from({ length: root.subgraphsLength() }, (_, i) => subgraph(root.subgraphs(i)!)),
      buffers: Array.from({ length: root.buffersLength() }, (_, i) => {
        const buffer = root.buffers(i)!;
        if (buffer.offset() > 1n) {
          throw new TfliteError(
            "unsupported",
            cannot("read", `${where} buffer ${i}`, "its data lies outside the flatbuffer (a model over 2 GB)"),
            { path: options.path },
          );
        }
        return buffer.dataArray() ?? new Uint8Array(0);
      }),
      metadata: Array.from({ length: root.metadataLength() }, (_, i) => {
        const m = root.metadata(i)!;
        return { name: (m.name() as string | null) ?? "", buffer: m.buffer() };
      }),
      signatureDefs: Array.from({ length: root.signatureDefsLength() }, (_, i) => {
        const s = root.signatureDefs(i)!;
        const maps = (length: number, at: (j: number) => gen.TensorMap | null) =>
          Array.from({ length }, (_, j) => {
            const m = at(j)!;
            return { name: (m.name() as string | null) ?? "", tensorIndex: m.tensorIndex() };
          });
        return {
          signatureKey: (s.signatureKey() as string | null) ?? "",
          subgraphIndex: s.subgraphIndex(),
          inputs: maps(s.inputsLength(), (j) => s.inputs(j)),
          outputs: maps(s.outputsLength(), (j) => s.outputs(j)),
        };
      }),
    };
  } catch (error) {
    if (error instanceof OutOfBounds) {
      throw new TfliteError("corrupt", cannot("read", where, `${error.message} (${bytes.length} bytes)`), {
        path: options.path,
        cause: error,
      });
    }
    throw error;
  }
  validate(model, where, options.path);
  return model;
}

/** Checks the model's references and each constant tensor's bytes against its shape. */
function validate(model: TfliteModel, where: string, path: string | undefined): void {
  const fail = (place: string, reason: string): never => {
    throw new TfliteError("invalid-model", cannot("read", `${where} ${place}`, reason), { path });
  };
  if (model.subgraphs.length === 0) fail("", "it has no subgraph");
  for (const [si, s] of model.subgraphs.entries()) {
    const n = s.tensors.length;
    for (const [ti, t] of s.tensors.entries()) {
      const place = `subgraph ${si} tensor ${ti} "${t.name}"`;
      if (t.buffer >= model.buffers.length)
        fail(place, `it names buffer ${t.buffer}, the model has ${model.buffers.length}`);
      let count = 1;
      for (const d of t.shape) {
        if (d < 0 && !(d === -1 && t.buffer === 0))
          fail(place, `its shape [${t.shape.join(", ")}] has a negative size`);
        count *= Math.max(d, 1);
        if (count > MAX_ELEMENTS) fail(place, `its shape [${t.shape.join(", ")}] holds more than 2^31 elements`);
      }
      const data = model.buffers[t.buffer]!;
      if (t.buffer !== 0 && data.length > 0) {
        const size = tensorTypeSize(t.type);
        const expected = size === undefined ? undefined : t.type === 17 ? Math.ceil(count / 2) : count * size;
        if (expected !== undefined && data.length !== expected) {
          fail(
            place,
            `its buffer holds ${data.length} bytes, its shape [${t.shape.join(", ")}] of ${tensorTypeName(t.type)} needs ${expected}`,
          );
        }
      }
    }
    const index = (list: readonly number[], place: string, optional: boolean) => {
      for (const i of list)
        if (!(i >= 0 && i < n) && !(optional && i === -1)) fail(place, `it names tensor ${i}, the subgraph has ${n}`);
    };
    index(s.inputs, `subgraph ${si} inputs`, false);
    index(s.outputs, `subgraph ${si} outputs`, false);
    for (const [oi, op] of s.operators.entries()) {
      const place = `subgraph ${si} operator ${oi}`;
      if (op.opcodeIndex >= model.operatorCodes.length)
        fail(place, `it names operator code ${op.opcodeIndex}, the model has ${model.operatorCodes.length}`);
      index(op.inputs, place, true);
      index(op.outputs, place, false);
    }
  }
  for (const m of model.metadata)
    if (m.buffer >= model.buffers.length)
      fail(`metadata "${m.name}"`, `it names buffer ${m.buffer}, the model has ${model.buffers.length}`);
  for (const s of model.signatureDefs) {
    if (s.subgraphIndex >= model.subgraphs.length)
      fail(`signature "${s.signatureKey}"`, `it names subgraph ${s.subgraphIndex}`);
  }
}
