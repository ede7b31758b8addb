/**
 * Config-heavy mutations of JSON (model configs, weight maps): lying sizes, foreign classes,
 * wrong dtypes, broken shapes, missing and misplaced keys. Each picks a node of the tree.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const NUMBERS = [
  0,
  -1,
  1,
  2,
  3,
  7,
  1e8,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  -(2 ** 31),
  1.5,
  0.5,
  1e308,
  -1e-300,
  65536,
  4096 * 4096,
];
const STRINGS = [
  "Model",
  "Sequential",
  "Functional",
  "Dense",
  "Conv2D",
  "LSTM",
  "Add",
  "Concatenate",
  "InputLayer",
  "Lambda",
  "__lambda__",
  "TFSMLayer",
  "evil_pkg>Dense",
  "evil_pkg",
  "keras.layers",
  "float64",
  "int8",
  "string",
  "mixed_float16",
  "bfloat16",
  "bool",
  "int64",
  "not_a_dtype",
  "relu",
  "softmax",
  "glorot_uniform",
  "",
  "../../etc/passwd",
  "channels_first",
  "same",
  "valid",
  "x".repeat(10_000),
];
const KEYS = [
  "units",
  "filters",
  "kernel_size",
  "batch_shape",
  "batch_input_shape",
  "input_shape",
  "dtype",
  "class_name",
  "module",
  "registered_name",
  "config",
  "layers",
  "inbound_nodes",
  "build_config",
  "activation",
  "kernel_initializer",
  "axis",
  "target_shape",
  "input_dim",
  "output_dim",
  "strides",
  "pool_size",
  "weight_map",
];

function nodes(root: Json): { parent: Json[] | Record<string, Json>; key: string | number; value: Json }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number; value: Json }[] = [];
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const entries: [string | number, Json][] = Array.isArray(v)
      ? v.map((c, i) => [i, c])
      : v !== null && typeof v === "object"
        ? Object.entries(v)
        : [];
    for (const [key, c] of entries) {
      out.push({ parent: v as Json[] | Record<string, Json>, key, value: c });
      stack.push(c);
    }
  }
  return out;
}

function pick<T>(xs: readonly T[], random: () => number): T {
  return xs[Math.floor(random() * xs.length)]!;
}

function randomValue(random: () => number, like: Json): Json {
  const r = random();
  if (r < 0.35) return pick(NUMBERS, random);
  if (r < 0.6) return pick(STRINGS, random);
  if (r < 0.7)
    return Array.from({ length: Math.floor(random() * 5) }, () => (random() < 0.3 ? null : pick(NUMBERS, random)));
  if (r < 0.75) return null;
  if (r < 0.8)
    return {
      class_name: pick(STRINGS, random),
      config: {},
      module: random() < 0.5 ? "evil_pkg" : "keras.layers",
      registered_name: null,
    };
  if (r < 0.85) return typeof like === "boolean" ? !like : true;
  return Array.isArray(like)
    ? [...like, ...like]
    : typeof like === "number"
      ? like * (random() < 0.5 ? 1000 : -1)
      : pick(NUMBERS, random);
}

/** 1 to 4 config-aware edits of `json` (a deep copy); returns the text and what was done. */
export function mutateJson(json: Json, random: () => number): { text: string; what: string } {
  const root = JSON.parse(JSON.stringify(json)) as Json;
  const edits: string[] = [];
  const n = 1 + Math.floor(random() * 4);
  for (let e = 0; e < n; e++) {
    const all = nodes(root);
    if (all.length === 0) break;
    // Prefer the keys configs lie with.
    const keyed = all.filter((x) => typeof x.key === "string" && KEYS.includes(x.key));
    const target = keyed.length > 0 && random() < 0.7 ? pick(keyed, random) : pick(all, random);
    const r = random();
    if (r < 0.6) {
      const value = randomValue(random, target.value);
      (target.parent as Record<string, Json>)[target.key as string] = value;
      edits.push(`${String(target.key)} = ${JSON.stringify(value).slice(0, 40)}`);
    } else if (r < 0.75 && !Array.isArray(target.parent)) {
      delete (target.parent as Record<string, Json>)[target.key as string];
      edits.push(`delete ${String(target.key)}`);
    } else if (r < 0.85 && Array.isArray(target.parent)) {
      target.parent.splice(target.key as number, 0, JSON.parse(JSON.stringify(target.value)) as Json);
      edits.push(`duplicate [${target.key}]`);
    } else if (Array.isArray(target.value) && target.value.length > 1) {
      target.value.reverse();
      edits.push(`reverse ${String(target.key)}`);
    } else {
      const other = pick(all, random);
      (target.parent as Record<string, Json>)[target.key as string] = JSON.parse(JSON.stringify(other.value)) as Json;
      edits.push(`${String(target.key)} = copy of ${String(other.key)}`);
    }
  }
  return { text: JSON.stringify(root), what: edits.join("; ") };
}
