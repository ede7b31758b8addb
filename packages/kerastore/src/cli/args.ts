import { FacadeError } from "../errors.js";

/** A parsed `kerastore` command line. */
export type CliCommand =
  | { readonly command: "inspect"; readonly path: string; readonly json: boolean }
  | {
      readonly command: "predict";
      readonly model: string;
      readonly inputs: readonly string[];
      readonly outputs: readonly string[];
      readonly signature: string | undefined;
    }
  | {
      readonly command: "convert";
      readonly source: string;
      readonly target: string;
      readonly to: string | undefined;
      /** The writer's own options from `--quantize` / `--shard-size` (empty when neither is given). */
      readonly settings: ConvertSettings;
    }
  | { readonly command: "help"; readonly topic?: CommandName | undefined }
  | { readonly command: "version" };

type CommandName = "inspect" | "predict" | "convert";

/** `--quantize`, `--shard-size` and `--no-sync` of `convert --to tfjs`, as the tfjs writer's settings. */
export type ConvertSettings = {
  readonly quantization?: string | Readonly<Record<string, readonly string[]>> | undefined;
  readonly shardSizeBytes?: number | undefined;
  /** `--no-sync`: false (the new directory is not flushed to disk); absent otherwise. */
  readonly sync?: false | undefined;
};

/** tensorflowjs_converter's spellings, accepted as they are: `--quantize_float16[=patterns]`, ... */
const CONVERTER_QUANTIZE = ["quantize_float16", "quantize_uint8", "quantize_uint16"] as const;
const QUANTIZE_DTYPES = ["float16", "uint8", "uint16"];

/** Each command's help: its usage line and what it does. */
export const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  inspect: `usage: kerastore inspect <path> [--json]

Shows what a model file, weights file, checkpoint or SavedModel holds, without building the
model: format, model class, inputs (name, shape, dtype), layers, parameter count, weights, and
the optimizer's state apart from the model's parameters. --json prints the same as JSON.
`,
  predict: `usage: kerastore predict <model> --input x.npy [--input x2.npy ...] --output y.npy [--output y2.npy ...]
                         [--signature serving_default]

Runs a model on .npy inputs (one --input per model input, in order) and writes each output as
.npy. A SavedModel without a Keras model (model.export, tf.saved_model.save) runs its
serving_default signature, or the one --signature names, as saved_model_cli run does.
`,
  convert: `usage: kerastore convert <src> <dst> [--to h5|keras|savedmodel|checkpoint|weights-h5|json|<format>]
                         [--quantize float16|uint8|uint16] [--shard-size <bytes>] [--no-sync]

Converts a model to another format: architecture, weights, compile information and optimizer
state where both formats hold them. The format is --to (any format that can write, plug-ins'
included), else dst's extension; a dst without one is a SavedModel directory, as
model.save("my_model") writes (a dst whose extension no format claims is one too, with a warning).

--to tfjs (TensorFlow.js Layers, the @kerastore/tfjs-layers-format plug-in) takes
tensorflowjs_converter's options: --quantize float16|uint8|uint16 quantizes every float32 weight
(--quantize_float16, --quantize_uint8, --quantize_uint16 as the converter spells them, each
with =<pattern,...> to quantize only the weights whose names match); --shard-size <bytes>
(--weight_shard_size_bytes) cuts the weight files at that size (default 4194304). The new
directory appears whole under its name or not at all, every file flushed to disk first; --no-sync
skips the flushes (as tensorflowjs_converter, which never flushes: faster on small models, but a
power loss soon after may lose the output).
`,
};

/** The usage text: the CLI contract (the design's ARCHITECTURE.md, outside this repository), extended. */
export const USAGE = `usage:
  kerastore inspect <path> [--json]          format, model class, inputs, layers, parameter count, weights
  kerastore predict <model> --input x.npy [--input x2.npy ...] --output y.npy [--output y2.npy ...] [--signature name]
  kerastore convert <src> <dst> [--to h5|keras|savedmodel|checkpoint|weights-h5|json|<format>]
                    [--quantize float16|uint8|uint16] [--shard-size <bytes>] [--no-sync]   (the last three: --to tfjs)
  kerastore <command> --help                 one command's help
  kerastore --version

Every command takes --plugin <package-or-path> (repeatable): a package whose main entry exports
kerastoreFormats, whose formats are added to the built-in ones. Plug-ins are also named by
KERASTORE_PLUGINS (comma-separated) and by "kerastore": { "plugins": [...] } in the nearest
package.json.
`;

const COMMANDS: readonly string[] = ["inspect", "predict", "convert"];

/**
 * Takes the `--plugin <package-or-path>` options (any command, repeatable) out of the
 * arguments: the plug-ins, and the arguments left for {@link parseArgs}.
 */
export function takePlugins(argv: readonly string[]): { plugins: string[]; rest: string[] } {
  const plugins: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--plugin" || arg.startsWith("--plugin=")) {
      const value = arg === "--plugin" ? argv[++i] : arg.slice("--plugin=".length);
      if (value === undefined || value === "") bad("--plugin needs a package name or a path");
      plugins.push(value);
    } else {
      rest.push(arg);
    }
  }
  return { plugins, rest };
}

/**
 * Parses the arguments after `kerastore`. Throws a `bad-argument` FacadeError with the usage
 * when they do not fit the contract.
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") return { command: "help" };
  if (command === "--version" || command === "-V" || command === "version") return { command: "version" };
  if (command === "help") {
    const topic = rest[0];
    if (topic === undefined) return { command: "help" };
    if (!COMMANDS.includes(topic)) bad(`unknown command "${topic}"`);
    return { command: "help", topic: topic as CommandName };
  }
  if (COMMANDS.includes(command) && (rest.includes("--help") || rest.includes("-h")))
    return { command: "help", topic: command as CommandName };
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === "json" || name === "no-sync") {
      flags.add(name);
      continue;
    }
    if ((CONVERTER_QUANTIZE as readonly string[]).includes(name)) {
      // As the converter: alone, every weight; with =patterns, the weights whose names match.
      options.set(name, [...(options.get(name) ?? []), eq >= 0 ? arg.slice(eq + 1) : "*"]);
      continue;
    }
    if (!VALUED.includes(name)) bad(`unknown option --${name}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined || value === "") bad(`--${name} needs a value`);
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  const allow = (names: readonly string[], flagNames: readonly string[] = []) => {
    for (const name of options.keys()) if (!names.includes(name)) bad(`${command} takes no --${name}`);
    for (const name of flags) if (!flagNames.includes(name)) bad(`${command} takes no --${name}`);
  };
  switch (command) {
    case "inspect":
      allow([], ["json"]);
      if (positional.length !== 1) bad("inspect takes one path");
      return { command, path: positional[0]!, json: flags.has("json") };
    case "predict": {
      allow(["input", "output", "signature"]);
      if (positional.length !== 1) bad("predict takes one model path");
      const inputs = options.get("input") ?? [];
      const outputs = options.get("output") ?? [];
      const signature = options.get("signature");
      if (inputs.length === 0) bad("predict needs at least one --input x.npy");
      if (outputs.length === 0) bad("predict needs at least one --output y.npy");
      if (signature !== undefined && signature.length > 1) bad("--signature may be given once");
      return { command, model: positional[0]!, inputs, outputs, signature: signature?.[0] };
    }
    case "convert": {
      allow(["to", "quantize", "shard-size", "weight_shard_size_bytes", ...CONVERTER_QUANTIZE], ["no-sync"]);
      if (positional.length !== 2) bad("convert takes a source and a destination");
      const to = options.get("to");
      if (to !== undefined && to.length > 1) bad("--to may be given once");
      return {
        command,
        source: positional[0]!,
        target: positional[1]!,
        to: to?.[0],
        settings: { ...convertSettings(options), ...(flags.has("no-sync") ? { sync: false as const } : {}) },
      };
    }
    default:
      return bad(`unknown command "${command}"`);
  }
}

/** Options that take a value. */
const VALUED = ["input", "output", "to", "signature", "quantize", "shard-size", "weight_shard_size_bytes"];

/** The tfjs writer's settings from convert's options. */
function convertSettings(options: ReadonlyMap<string, readonly string[]>): ConvertSettings {
  const once = (name: string): string | undefined => {
    const values = options.get(name);
    if (values !== undefined && values.length > 1) bad(`--${name} may be given once`);
    return values?.[0];
  };
  const settings: { quantization?: ConvertSettings["quantization"]; shardSizeBytes?: number } = {};
  const quantize = once("quantize");
  if (quantize !== undefined && !QUANTIZE_DTYPES.includes(quantize))
    bad(`--quantize takes float16, uint8 or uint16, not "${quantize}"`);
  const patterns: Record<string, string[]> = {};
  for (const name of CONVERTER_QUANTIZE) {
    const value = once(name);
    if (value === undefined) continue;
    const list = value.split(",").map((p) => p.trim());
    if (list.some((p) => p === "")) bad(`--${name}=<patterns> takes comma-separated weight-name patterns`);
    patterns[name.slice("quantize_".length)] = list;
  }
  const dtypes = Object.keys(patterns);
  if (quantize !== undefined && dtypes.length > 0)
    bad(`--quantize and --quantize_${dtypes[0]} may not be given together`);
  if (quantize !== undefined) settings.quantization = quantize;
  else if (dtypes.length === 1 && patterns[dtypes[0]!]!.join(",") === "*") settings.quantization = dtypes[0]!;
  else if (dtypes.length > 0) settings.quantization = patterns;
  const shard = once("shard-size");
  const shardAlias = once("weight_shard_size_bytes");
  if (shard !== undefined && shardAlias !== undefined)
    bad("--shard-size and --weight_shard_size_bytes are the same option");
  const size = shard ?? shardAlias;
  if (size !== undefined) {
    if (!/^[0-9]+$/.test(size) || !Number.isSafeInteger(Number(size)) || Number(size) <= 0)
      bad(`--shard-size takes a positive number of bytes, not "${size}"`);
    settings.shardSizeBytes = Number(size);
  }
  return settings;
}

function bad(reason: string): never {
  throw new FacadeError("invalid-argument", `cannot run kerastore: ${reason}\n${USAGE}`);
}
