import { create } from "@bufbuild/protobuf";
import type { DType } from "@kerastore/core";
import { type StructuredValue, StructuredValueSchema } from "./gen/struct_pb.js";
import { dataTypeOf, shapeProto } from "./graph-build.js";
import type { PartialShape } from "./shape.js";

/** Builders of `StructuredValue`s, the nested Python values SavedModels record signatures in. */
export const sv = {
  none: (): StructuredValue => create(StructuredValueSchema, { kind: { case: "noneValue", value: {} } }),
  str: (value: string): StructuredValue => create(StructuredValueSchema, { kind: { case: "stringValue", value } }),
  list: (values: StructuredValue[]): StructuredValue =>
    create(StructuredValueSchema, { kind: { case: "listValue", value: { values } } }),
  tuple: (values: StructuredValue[]): StructuredValue =>
    create(StructuredValueSchema, { kind: { case: "tupleValue", value: { values } } }),
  dict: (fields: Record<string, StructuredValue>): StructuredValue =>
    create(StructuredValueSchema, { kind: { case: "dictValue", value: { fields } } }),
  tensorSpec: (name: string, dtype: DType, shape: PartialShape): StructuredValue =>
    create(StructuredValueSchema, {
      kind: { case: "tensorSpecValue", value: { name, dtype: dataTypeOf(dtype), shape: shapeProto(shape) } },
    }),
};

/** Python's `FullArgSpec` named tuple for a function of positional `args` and keyword-only `kwonlyargs`. */
export function fullArgSpec(args: readonly string[], kwonlyargs: readonly string[]): StructuredValue {
  const pair = (key: string, value: StructuredValue) => ({ key, value });
  return create(StructuredValueSchema, {
    kind: {
      case: "namedTupleValue",
      value: {
        name: "FullArgSpec",
        values: [
          pair("args", sv.list(args.map(sv.str))),
          pair("varargs", sv.none()),
          pair("varkw", sv.none()),
          pair("defaults", sv.none()),
          pair("kwonlyargs", sv.list(kwonlyargs.map(sv.str))),
          pair("kwonlydefaults", sv.none()),
          pair("annotations", sv.dict({})),
        ],
      },
    },
  });
}
