import { cannot } from "@kerastore/core";
import { Builder, type ByteBuffer, type Offset } from "flatbuffers";
import * as gen from "./gen/index.js";
import { writeBuiltinOptions } from "./builtin-options.js";
import { TfliteError } from "./errors.js";
import { TFLITE_IDENTIFIER } from "./read-tflite.js";
import { type TfliteModel, type TfliteSubgraph, type TfliteTensor, deprecatedBuiltinCode } from "./tflite-model.js";

/** Buffer data is aligned to 16 bytes in the file, as the schema's `force_align: 16` asks. */
const BUFFER_ALIGN = 16;

/**
 * A byte vector aligned to `align`, copied in one call. The generated `createDataVector` adds
 * bytes one by one and aligns to 1; weights are megabytes and want the schema's alignment.
 */
function alignedBytes(b: Builder, data: Uint8Array, align: number): Offset {
  b.startVector(1, data.length, align);
  // createByteVector does the same with alignment 1; these two fields are its own.
  const inner = b as unknown as { space: number; bb: ByteBuffer };
  inner.space -= data.length;
  inner.bb.setPosition(inner.space);
  inner.bb.bytes().set(data, inner.space);
  return b.endVector();
}

function intVector(b: Builder, values: readonly number[]): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly Offset[]): Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function writeTensor(b: Builder, t: TfliteTensor): Offset {
  const name = b.createString(t.name);
  const shape = intVector(b, t.shape);
  const signature = t.shapeSignature === undefined ? 0 : intVector(b, t.shapeSignature);
  let quantization = 0;
  if (t.quantization !== undefined) {
    const q = t.quantization;
    const scale = gen.QuantizationParameters.createScaleVector(b, [...q.scale]);
    const zeroPoint = gen.QuantizationParameters.createZeroPointVector(
      b,
      q.zeroPoint.map((z) => BigInt(z)),
    );
    const min = q.min === undefined ? 0 : gen.QuantizationParameters.createMinVector(b, [...q.min]);
    const max = q.max === undefined ? 0 : gen.QuantizationParameters.createMaxVector(b, [...q.max]);
    gen.QuantizationParameters.startQuantizationParameters(b);
    if (min !== 0) gen.QuantizationParameters.addMin(b, min);
    if (max !== 0) gen.QuantizationParameters.addMax(b, max);
    gen.QuantizationParameters.addScale(b, scale);
    gen.QuantizationParameters.addZeroPoint(b, zeroPoint);
    gen.QuantizationParameters.addQuantizedDimension(b, q.quantizedDimension);
    quantization = gen.QuantizationParameters.endQuantizationParameters(b);
  }
  gen.Tensor.startTensor(b);
  gen.Tensor.addShape(b, shape);
  gen.Tensor.addType(b, t.type);
  gen.Tensor.addBuffer(b, t.buffer);
  gen.Tensor.addName(b, name);
  if (quantization !== 0) gen.Tensor.addQuantization(b, quantization);
  if (t.isVariable === true) gen.Tensor.addIsVariable(b, true);
  if (signature !== 0) gen.Tensor.addShapeSignature(b, signature);
  return gen.Tensor.endTensor(b);
}

function writeSubgraph(b: Builder, s: TfliteSubgraph): Offset {
  const tensors = offsetVector(
    b,
    s.tensors.map((t) => writeTensor(b, t)),
  );
  const operators = offsetVector(
    b,
    s.operators.map((op) => {
      const inputs = intVector(b, op.inputs);
      const outputs = intVector(b, op.outputs);
      const options = op.options === undefined ? undefined : writeBuiltinOptions(b, op.options);
      gen.Operator.startOperator(b);
      gen.Operator.addOpcodeIndex(b, op.opcodeIndex);
      gen.Operator.addInputs(b, inputs);
      gen.Operator.addOutputs(b, outputs);
      if (options !== undefined) {
        gen.Operator.addBuiltinOptionsType(b, options.type);
        gen.Operator.addBuiltinOptions(b, options.offset);
      }
      return gen.Operator.endOperator(b);
    }),
  );
  const inputs = intVector(b, s.inputs);
  const outputs = intVector(b, s.outputs);
  const name = s.name === undefined ? 0 : b.createString(s.name);
  gen.SubGraph.startSubGraph(b);
  gen.SubGraph.addTensors(b, tensors);
  gen.SubGraph.addInputs(b, inputs);
  gen.SubGraph.addOutputs(b, outputs);
  gen.SubGraph.addOperators(b, operators);
  if (name !== 0) gen.SubGraph.addName(b, name);
  return gen.SubGraph.endSubGraph(b);
}

/**
 * Writes a TFLite model as a `.tflite` flatbuffer (`TFL3`).
 *
 * Operator codes get both code fields (`deprecated_builtin_code` = min(code, 127), and the
 * extended `builtin_code`), buffers are 16-byte aligned. The model must keep the format's
 * rules (`buffers[0]` empty, indices in range); the writer checks them first.
 */
export function writeTflite(model: TfliteModel): Uint8Array {
  checkModel(model);
  const total = model.buffers.reduce((n, d) => n + d.length + BUFFER_ALIGN, 0);
  const b = new Builder(total + 65536);
  // Buffers first: the largest vectors, written once, at the end of the file.
  const buffers = model.buffers.map((data) => {
    const vector = data.length === 0 ? 0 : alignedBytes(b, data, BUFFER_ALIGN);
    gen.Buffer.startBuffer(b);
    if (vector !== 0) gen.Buffer.addData(b, vector);
    return gen.Buffer.endBuffer(b);
  });
  const codes = model.operatorCodes.map((c) => {
    const custom = c.customCode === undefined ? 0 : b.createString(c.customCode);
    gen.OperatorCode.startOperatorCode(b);
    gen.OperatorCode.addDeprecatedBuiltinCode(b, deprecatedBuiltinCode(c.builtinCode));
    if (custom !== 0) gen.OperatorCode.addCustomCode(b, custom);
    gen.OperatorCode.addVersion(b, c.version);
    gen.OperatorCode.addBuiltinCode(b, c.builtinCode);
    return gen.OperatorCode.endOperatorCode(b);
  });
  const subgraphs = model.subgraphs.map((s) => writeSubgraph(b, s));
  const metadata = model.metadata.map((m) => {
    const name = b.createString(m.name);
    return gen.Metadata.createMetadata(b, name, m.buffer);
  });
  const signatures = model.signatureDefs.map((s) => {
    const maps = (list: typeof s.inputs) =>
      offsetVector(
        b,
        list.map((m) => gen.TensorMap.createTensorMap(b, b.createString(m.name), m.tensorIndex)),
      );
    const inputs = maps(s.inputs);
    const outputs = maps(s.outputs);
    const key = b.createString(s.signatureKey);
    gen.SignatureDef.startSignatureDef(b);
    gen.SignatureDef.addInputs(b, inputs);
    gen.SignatureDef.addOutputs(b, outputs);
    gen.SignatureDef.addSignatureKey(b, key);
    gen.SignatureDef.addSubgraphIndex(b, s.subgraphIndex);
    return gen.SignatureDef.endSignatureDef(b);
  });
  const description = model.description === undefined ? 0 : b.createString(model.description);
  const codesVector = offsetVector(b, codes);
  const subgraphsVector = offsetVector(b, subgraphs);
  const buffersVector = offsetVector(b, buffers);
  const metadataVector = offsetVector(b, metadata);
  const signaturesVector = offsetVector(b, signatures);
  gen.Model.startModel(b);
  gen.Model.addVersion(b, model.version);
  gen.Model.addOperatorCodes(b, codesVector);
  gen.Model.addSubgraphs(b, subgraphsVector);
  if (description !== 0) gen.Model.addDescription(b, description);
  gen.Model.addBuffers(b, buffersVector);
  gen.Model.addMetadata(b, metadataVector);
  gen.Model.addSignatureDefs(b, signaturesVector);
  b.finish(gen.Model.endModel(b), TFLITE_IDENTIFIER);
  return b.asUint8Array();
}

function checkModel(model: TfliteModel): void {
  const fail = (reason: string): never => {
    throw new TfliteError("invalid-argument", cannot("write", "TFLite model", reason));
  };
  if (model.buffers.length === 0 || model.buffers[0]!.length !== 0)
    fail("buffers[0] must be the empty sentinel buffer");
  for (const [si, s] of model.subgraphs.entries()) {
    for (const t of s.tensors)
      if (t.buffer < 0 || t.buffer >= model.buffers.length)
        fail(`tensor "${t.name}" of subgraph ${si} names buffer ${t.buffer}`);
    for (const [oi, op] of s.operators.entries()) {
      if (op.opcodeIndex >= model.operatorCodes.length)
        fail(`operator ${oi} of subgraph ${si} names operator code ${op.opcodeIndex}`);
      for (const i of [...op.inputs, ...op.outputs])
        if (i < -1 || i >= s.tensors.length) fail(`operator ${oi} of subgraph ${si} names tensor ${i}`);
    }
  }
  for (const m of model.metadata)
    if (m.buffer >= model.buffers.length) fail(`metadata "${m.name}" names buffer ${m.buffer}`);
}
