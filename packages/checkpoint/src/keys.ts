/** The key the object graph is stored under. */
export const OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";
/** The attribute name a variable's value is saved under. */
export const VARIABLE_VALUE = "VARIABLE_VALUE";

/** Escapes an edge or attribute name for a checkpoint key: `.` becomes `..`, `/` becomes `.S`. */
export function escapeLocalName(name: string): string {
  return name.replaceAll(".", "..").replaceAll("/", ".S");
}

/** The key prefix of an object reached by `edges` from the root. */
export function objectPath(edges: readonly string[]): string {
  return edges.map(escapeLocalName).join("/");
}

/** The key of an attribute (`VARIABLE_VALUE`) of the object at `path`. */
export function attributeKey(path: string, attribute: string): string {
  const prefix = path === "" ? "" : `${path}/`;
  return `${prefix}.ATTRIBUTES/${escapeLocalName(attribute)}`;
}

/** The object path of a slot variable: `<variable>/.OPTIMIZER_SLOT/<optimizer>/<slot>`. */
export function slotPath(variablePath: string, optimizerPath: string, slotName: string): string {
  return `${variablePath}/.OPTIMIZER_SLOT/${optimizerPath}/${escapeLocalName(slotName)}`;
}
