import { createRequire } from "node:module";
import { KerastoreError } from "@kerastore/core";
import { setFileSystem } from "../file-system.js";
import { isModelWriter } from "../formats/format.js";
import { locate } from "../location.js";
import { nodeFileSystem } from "../node-file-system.js";
import { COMMAND_HELP, parseArgs, takePlugins, USAGE } from "./args.js";
import { convertFile } from "./convert.js";
import { formatReport, inspect } from "./inspect.js";
import { cliFormats } from "./plugins.js";
import { withProgress } from "./progress.js";
import { withSmallFileRead } from "./small-file.js";

// The CLI runs in Node: its paths are files on this machine.
setFileSystem(nodeFileSystem);

/** Where the CLI writes. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress on large files is shown only then. */
  readonly isTTY?: boolean | undefined;
  /** The size from which progress is shown (default 32 MB). */
  readonly progressThreshold?: number | undefined;
  /** Plug-ins named by the environment (default `process.env.KERASTORE_PLUGINS`). */
  readonly plugins?: string | undefined;
  /** Where relative paths and the nearest package.json are found (default `process.cwd()`). */
  readonly cwd?: string | undefined;
}

/** The version of the installed `kerastore` package. */
export function cliVersion(): string {
  // dist/cli/run.js and src/cli/run.ts both sit two folders under the package root.
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

/**
 * Runs one `kerastore` command and resolves with its exit code: 0 on success, 1 on any error
 * (its message on stderr, never a stack trace unless KERASTORE_DEBUG is set).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const progress = <T>(label: string, path: string, work: () => Promise<T>) =>
    withProgress(io, label, path, work, io.progressThreshold === undefined ? {} : { threshold: io.progressThreshold });
  try {
    const { plugins, rest } = takePlugins(argv);
    const command = parseArgs(rest);
    if (command.command === "version") {
      io.stdout(`${cliVersion()}\n`);
      return 0;
    }
    // Every command sees the same formats: the built-in ones and the plug-ins'.
    const formats = await cliFormats({
      flags: plugins,
      env: "plugins" in io ? io.plugins : process.env.KERASTORE_PLUGINS,
      cwd: io.cwd ?? process.cwd(),
      onWarning: (message) => io.stderr(`kerastore: warning: ${message}\n`),
    });
    switch (command.command) {
      case "help": {
        const help = command.topic === undefined ? USAGE : COMMAND_HELP[command.topic];
        const writers = formats.formats.filter(isModelWriter).map((f) => f.name);
        io.stdout(command.topic === "convert" ? `${help}\nFormats that can write here: ${writers.join(", ")}\n` : help);
        return 0;
      }
      case "inspect": {
        const report = await progress(`reading ${command.path}`, command.path, async () =>
          inspect(await withSmallFileRead(locate(command.path)), formats),
        );
        io.stdout(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
        return 0;
      }
      case "predict": {
        // The engine loads for predict only: inspect and convert never start it.
        const { predictFiles } = await import("./predict.js");
        await predictFiles(command.model, command.inputs, command.outputs, command.signature, formats);
        return 0;
      }
      case "convert":
        await progress(`converting ${command.source}`, command.source, () =>
          convertFile(command.source, command.target, command.to, formats, {
            settings: command.settings,
            onWarning: (message) => io.stderr(`kerastore: warning: ${message}\n`),
          }),
        );
        return 0;
    }
  } catch (error) {
    if (error instanceof KerastoreError) {
      io.stderr(`kerastore: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`kerastore: internal error: ${message}\n`);
    if (process.env.KERASTORE_DEBUG) io.stderr(`${(error as Error).stack ?? ""}\n`);
    return 1;
  }
}
