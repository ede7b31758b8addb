import { FacadeError } from "../errors.js";

/** A parsed `kerastore` command line. */
export type CliCommand =
  | { readonly command: "inspect"; readonly path: string; readonly json: boolean }
  | {
      readonly command: "predict";
      readonly model: string;
      readonly inputs: readonly string[];
      readonly outputs: readonly string[];
    }
  | { readonly command: "convert"; readonly source: string; readonly target: string; readonly to: string | undefined }
  | { readonly command: "help" };

/** The usage text, as ARCHITECTURE.md's CLI contract gives it. */
export const USAGE = `usage:
  kerastore inspect <path> [--json]          format, model class, layers, parameter count, weights
  kerastore predict <model> --input x.npy [--input x2.npy ...] --output y.npy [--output y2.npy ...]
  kerastore convert <src> <dst> [--to h5|keras|savedmodel|checkpoint|weights-h5|json]
`;

/**
 * Parses the arguments after `kerastore`. Throws a `bad-argument` FacadeError with the usage
 * when they do not fit the contract.
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") return { command: "help" };
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
    if (name !== "input" && name !== "output" && name !== "to") bad(`unknown option --${name}`);
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
      allow(["input", "output"]);
      if (positional.length !== 1) bad("predict takes one model path");
      const inputs = options.get("input") ?? [];
      const outputs = options.get("output") ?? [];
      if (inputs.length === 0) bad("predict needs at least one --input x.npy");
      if (outputs.length === 0) bad("predict needs at least one --output y.npy");
      return { command, model: positional[0]!, inputs, outputs };
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
  throw new FacadeError("bad-argument", `cannot run kerastore: ${reason}\n${USAGE}`);
}
