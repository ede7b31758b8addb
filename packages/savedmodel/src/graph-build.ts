import { create } from "@bufbuild/protobuf";
import { type DType, type HostTensor, type NumericArray, bytesOf, cannot, utf8Encode } from "@kerastore/core";
import { dtypeOfDataType } from "./dtypes.js";
import { SavedModelError } from "./errors.js";
import {
  type AttrValue,
  AttrValueSchema,
  AttrValue_ListValueSchema,
  ArgAttrsSchema,
  DtypeAndShapeSchema,
  type FunctionDef,
  FunctionDefSchema,
  NameAttrListSchema,
  type NodeDef,
  NodeDefSchema,
  type OpDef_ArgDef,
  OpDefSchema,
  OpDef_ArgDefSchema,
} from "./gen/graph_pb.js";
import { type TensorProto, TensorProtoSchema, type TensorShapeProto, TensorShapeProtoSchema } from "./gen/tensor_pb.js";
import type { PartialShape } from "./shape.js";

/** The TensorFlow `DataType` number of a Kerastore dtype (`resource` is 20). */
export function dataTypeOf(dtype: DType | "resource"): number {
  if (dtype === "resource") return 20;
  for (let n = 1; n < 30; n++) if (dtypeOfDataType(n) === dtype) return n;
  throw new SavedModelError("unsupported", cannot("write", `dtype ${dtype}`, "TensorFlow has no DataType for it"));
}

/** A partial shape as a `TensorShapeProto` (unknown sizes -1, unknown rank flagged). */
export function shapeProto(shape: PartialShape): TensorShapeProto {
  if (shape === null) return create(TensorShapeProtoSchema, { unknownRank: true });
  return create(TensorShapeProtoSchema, { dim: shape.map((d) => ({ size: BigInt(d ?? -1) })) });
}

/** A host tensor as a `TensorProto` (numbers as `tensor_content`, strings as `string_val`). */
export function tensorProto(value: HostTensor): TensorProto {
  const base = { dtype: dataTypeOf(value.dtype), tensorShape: shapeProto(value.shape) };
  if (value.dtype === "string")
    return create(TensorProtoSchema, { ...base, stringVal: [...(value.data as Uint8Array[])] });
  return create(TensorProtoSchema, { ...base, tensorContent: bytesOf(value.data as NumericArray) });
}

function attrOf(value: AttrValue["value"]): AttrValue {
  return create(AttrValueSchema, { value });
}

function list(fields: Parameters<typeof create<typeof AttrValue_ListValueSchema>>[1]): AttrValue {
  return attrOf({ case: "list", value: create(AttrValue_ListValueSchema, fields) });
}

/** Builders of node attributes (`AttrValue`). */
export const attr = {
  type: (dtype: DType | "resource"): AttrValue => attrOf({ case: "type", value: dataTypeOf(dtype) }),
  shape: (shape: PartialShape): AttrValue => attrOf({ case: "shape", value: shapeProto(shape) }),
  int: (n: number): AttrValue => attrOf({ case: "i", value: BigInt(n) }),
  float: (x: number): AttrValue => attrOf({ case: "f", value: x }),
  bool: (b: boolean): AttrValue => attrOf({ case: "b", value: b }),
  str: (s: string): AttrValue => attrOf({ case: "s", value: utf8Encode(s) }),
  tensor: (value: HostTensor): AttrValue => attrOf({ case: "tensor", value: tensorProto(value) }),
  func: (name: string): AttrValue => attrOf({ case: "func", value: create(NameAttrListSchema, { name }) }),
  ints: (ns: readonly number[]): AttrValue => list({ i: ns.map((n) => BigInt(n)) }),
  types: (dtypes: readonly (DType | "resource")[]): AttrValue => list({ type: dtypes.map(dataTypeOf) }),
  shapes: (shapes: readonly PartialShape[]): AttrValue => list({ shape: shapes.map(shapeProto) }),
};

/** The output argument name of ops whose single (first) output is not called `output`. */
const OUTPUT_ARGS: Readonly<Record<string, string>> = {
  AddV2: "z",
  Sub: "z",
  Mul: "z",
  RealDiv: "z",
  Maximum: "z",
  Minimum: "z",
  SquaredDifference: "z",
  MatMul: "product",
  BatchMatMulV2: "output",
  ReadVariableOp: "value",
  Relu: "activations",
  Relu6: "activations",
  Elu: "activations",
  Selu: "activations",
  Softplus: "activations",
  Softsign: "activations",
  LeakyRelu: "activations",
  Softmax: "softmax",
  LogSoftmax: "logsoftmax",
  Sigmoid: "y",
  Tanh: "y",
  Erf: "y",
  Rsqrt: "y",
  Sqrt: "y",
  Square: "y",
  Neg: "y",
  Cast: "y",
  Exp: "y",
  FusedBatchNormV3: "y",
  AddN: "sum",
};

/** A function input: a tensor the caller passes, or a captured variable's resource handle. */
interface ArgSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: PartialShape;
  readonly resource: boolean;
}

/** Lowercase, `[a-z][a-z0-9_]*`: what OpDef argument names allow. */
function argName(name: string, taken: Set<string>): string {
  let base = name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (!/^[a-z]/.test(base)) base = `arg_${base}`;
  let out = base;
  for (let i = 0; taken.has(out); i++) out = `${base}_${i}`;
  taken.add(out);
  return out;
}

/**
 * Builds one `FunctionDef` from ops, as `tf.function` traces write them: inputs first, then one
 * trailing `DT_RESOURCE` input per captured variable (bound through the saved concrete function's
 * `bound_inputs`), outputs sorted by name (the order TensorFlow flattens a dict of outputs).
 * Tensor references are `node:out_arg:index` strings; `op` returns its node's first output.
 */
export class FunctionBuilder {
  private readonly inputs: ArgSpec[] = [];
  private readonly captures: ArgSpec[] = [];
  private readonly nodes: NodeDef[] = [];
  private readonly outputs: { name: string; ref: string; dtype: DType; shape: PartialShape }[] = [];
  private readonly argNames = new Set<string>();
  private readonly nodeNames = new Set<string>();

  /**
   * `sortOutputs` (default true): return the outputs sorted by name, as a signature's dict of
   * outputs flattens; false keeps their declaration order (a function returning a list).
   */
  constructor(
    readonly name: string,
    private readonly sortOutputs = true,
  ) {}

  /** Adds an input; returns its reference. */
  input(name: string, dtype: DType, shape: PartialShape): string {
    const arg = argName(name, this.argNames);
    this.inputs.push({ name: arg, dtype, shape, resource: false });
    this.nodeNames.add(arg);
    return arg;
  }

  /** Adds a captured variable's handle input (trailing, in call order); returns its reference. */
  capture(name: string, dtype: DType, shape: PartialShape): string {
    const arg = argName(`${name}_resource`, this.argNames);
    this.captures.push({ name: arg, dtype, shape, resource: true });
    this.nodeNames.add(arg);
    return arg;
  }

  /** A fresh node name from `wanted` (`dense/MatMul`, then `dense/MatMul_1`). */
  nodeName(wanted: string, taken: Set<string> = this.nodeNames): string {
    const base = wanted.replace(/[^A-Za-z0-9_.\-/]/g, "_").replace(/^[^A-Za-z0-9.]+/, "n");
    let out = base;
    for (let i = 1; taken.has(out); i++) out = `${base}_${i}`;
    taken.add(out);
    return out;
  }

  /**
   * Adds a node of `op` on `inputs` with `attrs`; returns the reference of its output
   * `outArg` (default: the op's usual first output name), index `index`.
   */
  op(
    op: string,
    name: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outArg?: string,
    index = 0,
  ): string {
    const node = this.nodeName(name);
    this.nodes.push(create(NodeDefSchema, { name: node, op, input: [...inputs], attr: attrs }));
    return `${node}:${outArg ?? OUTPUT_ARGS[op] ?? "output"}:${index}`;
  }

  /** Another output of a node `op` returned (`FusedBatchNormV3` outputs, for instance). */
  static outputOf(ref: string, outArg: string, index = 0): string {
    return `${ref.split(":")[0]}:${outArg}:${index}`;
  }

  /** Declares an output named `name` (through an Identity, as traces do). */
  output(name: string, ref: string, dtype: DType, shape: PartialShape): void {
    if (this.outputs.some((o) => o.name === name)) {
      throw new SavedModelError(
        "invalid-argument",
        cannot("build", `function ${this.name}`, `two outputs are named "${name}"`),
      );
    }
    this.outputs.push({ name, ref, dtype, shape });
  }

  /** The names of the inputs and captures, in call order. */
  get argumentNames(): { inputs: string[]; captures: string[] } {
    return { inputs: this.inputs.map((a) => a.name), captures: this.captures.map((a) => a.name) };
  }

  /** The outputs in the order the function returns them (sorted by name unless told otherwise). */
  get returnedOutputs(): { name: string; dtype: DType; shape: PartialShape }[] {
    if (!this.sortOutputs) return [...this.outputs];
    return [...this.outputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The function as built so far (building again after more ops gives the larger function). */
  build(): FunctionDef {
    const args = [...this.inputs, ...this.captures];
    const taken = new Set(this.nodeNames);
    const outNames = new Set<string>();
    const outputs = this.returnedOutputs.map((o) => ({ ...o, arg: argName(o.name, outNames) }));
    const identities = outputs.map((o) => {
      const ref = this.outputs.find((x) => x.name === o.name)!.ref;
      const node = this.nodeName("Identity", taken);
      return create(NodeDefSchema, {
        name: node,
        op: "Identity",
        input: [ref],
        attr: { T: attr.type(o.dtype), _output_shapes: attr.shapes([o.shape]) },
      });
    });
    const argDef = (a: ArgSpec): OpDef_ArgDef =>
      create(OpDef_ArgDefSchema, {
        name: a.name,
        type: dataTypeOf(a.resource ? "resource" : a.dtype),
        handleData: a.resource
          ? [create(DtypeAndShapeSchema, { dtype: dataTypeOf(a.dtype), shape: shapeProto(a.shape) })]
          : [],
      });
    const argAttr = Object.fromEntries(
      args.map((a, i) => [
        i,
        create(ArgAttrsSchema, {
          attr: {
            _user_specified_name: attr.str(a.resource ? "resource" : a.name),
            ...(a.resource ? {} : { _output_shapes: attr.shapes([a.shape]) }),
          },
        }),
      ]),
    );
    return create(FunctionDefSchema, {
      signature: create(OpDefSchema, {
        name: this.name,
        inputArg: args.map(argDef),
        outputArg: outputs.map((o) => create(OpDef_ArgDefSchema, { name: o.arg, type: dataTypeOf(o.dtype) })),
        isStateful: this.captures.length > 0,
      }),
      nodeDef: [...this.nodes, ...identities],
      ret: Object.fromEntries(outputs.map((o, i) => [o.arg, `${identities[i]!.name}:output:0`])),
      attr: { _input_shapes: attr.shapes(args.map((a) => (a.resource ? [] : a.shape))) },
      argAttr,
    });
  }
}
