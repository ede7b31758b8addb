import { KerastoreError } from "@kerastore/core";
import { setFileSystem } from "../file-system.js";
import { locate } from "../location.js";
import { nodeFileSystem } from "../node-file-system.js";
import { USAGE, parseArgs } from "./args.js";
import { convertFile } from "./convert.js";
import { formatReport, inspect } from "./inspect.js";
import { predictFiles } from "./predict.js";

// The CLI runs in Node: its paths are files on this machine.
setFileSystem(nodeFileSystem);

/** Where the CLI writes. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * Runs one `kerastore` command and resolves with its exit code: 0 on success, 1 on any error
 * (its message on stderr, never a stack trace unless KERASTORE_DEBUG is set).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseArgs(argv);
    switch (command.command) {
      case "help":
        io.stdout(USAGE);
        return 0;
      case "inspect": {
        const report = await inspect(locate(command.path));
        io.stdout(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
        return 0;
      }
      case "predict":
        await predictFiles(command.model, command.inputs, command.outputs);
        return 0;
      case "convert":
        await convertFile(command.source, command.target, command.to);
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
