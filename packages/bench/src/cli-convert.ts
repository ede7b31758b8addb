// The CLI's conversion (`kerastore convert`), to run in a benchmark's own process: the function
// of packages/kerastore/src/cli/convert.ts, which the package does not export.
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FormatRegistry } from "kerastore";

export type ConvertFile = (
  source: string,
  target: string,
  to: string | undefined,
  registry: FormatRegistry,
  options?: { readonly settings?: Readonly<Record<string, unknown>> },
) => Promise<void>;

const cli = resolve(dirname(fileURLToPath(import.meta.url)), "../../kerastore/src/cli/convert.ts");
export const { convertFile } = (await import(pathToFileURL(cli).href)) as { convertFile: ConvertFile };
