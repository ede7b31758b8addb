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
  | { readonly command: "convert"; readonly source: string; readonly target: string; readonly to: string | undefined }
  | { readonly command: "help"; readonly topic?: CommandName | undefined }
  | { readonly command: "version" };

type CommandName = "inspect" | "predict" | "convert";

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

Converts a model to another format: architecture, weights, compile information and optimizer
state where both formats hold them. The format is --to (any format that can write, plug-ins'
included), else dst's extension; a dst without one is a SavedModel directory, as
model.save("my_model") writes.
`,
};

/** The usage text: the CLI contract (the design's ARCHITECTURE.md, outside this repository), extended. */
export const USAGE = `usage:
  kerastore inspect <path> [--json]          format, model class, inputs, layers, parameter count, weights
  kerastore predict <model> --input x.npy [--input x2.npy ...] --output y.npy [--output y2.npy ...] [--signature name]
  kerastore convert <src> <dst> [--to h5|keras|savedmodel|checkpoint|weights-h5|json|<format>]
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
    if (name === "json") {
      flags.add(name);
      continue;
    }
    if (name !== "input" && name !== "output" && name !== "to" && name !== "signature") bad(`unknown option --${name}`);
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
      allow(["to"]);
      if (positional.length !== 2) bad("convert takes a source and a destination");
      const to = options.get("to");
      if (to !== undefined && to.length > 1) bad("--to may be given once");
      return { command, source: positional[0]!, target: positional[1]!, to: to?.[0] };
    }
    default:
      return bad(`unknown command "${command}"`);
  }
}

function bad(reason: string): never {
  throw new FacadeError("invalid-argument", `cannot run kerastore: ${reason}\n${USAGE}`);
}
