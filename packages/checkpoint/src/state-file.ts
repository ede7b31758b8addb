import { type Store, basenameOf, cannot, joinPath, utf8Decode, utf8Encode } from "@kerastore/core";
import { CheckpointError } from "./errors.js";
import { indexFileName } from "./file-names.js";

/** The `checkpoint` state file of a directory (text-format `CheckpointState`). */
export interface CheckpointState {
  /** The latest checkpoint prefix, as written (relative to the directory, usually). */
  modelCheckpointPath: string;
  /** Every kept checkpoint, oldest first; the last is `modelCheckpointPath`. */
  allModelCheckpointPaths: string[];
  /** Seconds since the epoch each kept checkpoint was written, parallel to the paths. */
  allModelCheckpointTimestamps: number[];
  /** When the last checkpoint kept by `keepCheckpointEveryNHours` was written. */
  lastPreservedTimestamp?: number | undefined;
}

/** The name of the state file in a checkpoint directory. */
export const STATE_FILE = "checkpoint";

/** A state file larger than this is refused (it lists paths, one per kept checkpoint). */
const MAX_STATE_BYTES = 16 * 1024 * 1024;

/** Parses the text-format `CheckpointState` TensorFlow writes. */
export function parseCheckpointState(text: string, where: string): CheckpointState {
  const state: CheckpointState = {
    modelCheckpointPath: "",
    allModelCheckpointPaths: [],
    allModelCheckpointTimestamps: [],
  };
  for (const [n, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-z_]+)\s*:\s*(.*)$/.exec(line);
    const fail = (reason: string): never => {
      throw new CheckpointError("corrupt", cannot("parse", `line ${n + 1} of ${where}`, reason), { path: where });
    };
    if (m === null) fail(`expected "field: value", found ${JSON.stringify(line.slice(0, 80))}`);
    const [, field, value] = m!;
    switch (field) {
      case "model_checkpoint_path":
        state.modelCheckpointPath = parseString(value!, fail);
        break;
      case "all_model_checkpoint_paths":
        state.allModelCheckpointPaths.push(parseString(value!, fail));
        break;
      case "all_model_checkpoint_timestamps":
        state.allModelCheckpointTimestamps.push(parseNumber(value!, fail));
        break;
      case "last_preserved_timestamp":
        state.lastPreservedTimestamp = parseNumber(value!, fail);
        break;
      default:
        fail(`unknown field "${field}"`);
    }
  }
  return state;
}

function parseNumber(value: string, fail: (reason: string) => never): number {
  const n = Number(value);
  if (value === "" || !Number.isFinite(n)) fail(`${JSON.stringify(value)} is not a number`);
  return n;
}

/** Decodes a text-format string literal (C escapes; the bytes are UTF-8). */
function parseString(value: string, fail: (reason: string) => never): string {
  const quote = value[0];
  if ((quote !== '"' && quote !== "'") || value.length < 2 || value[value.length - 1] !== quote) {
    fail(`${JSON.stringify(value.slice(0, 80))} is not a quoted string`);
  }
  const body = value.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "'": 39, "\\": 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      bytes.push(...utf8Encode(c));
      continue;
    }
    const e = body[++i];
    if (e === undefined) fail("a string ends in a backslash");
    if (simple[e!] !== undefined) bytes.push(simple[e!]!);
    else if (/[0-7]/.test(e!)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      bytes.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (e === "x") {
      const h = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))?.[0];
      if (h === undefined) fail("a \\x escape has no hex digits");
      bytes.push(Number.parseInt(h!, 16));
      i += h!.length;
    } else fail(`unknown escape \\${e}`);
  }
  return utf8Decode(Uint8Array.from(bytes));
}

/** Writes a string literal as Python's text_format does (non-ASCII bytes as octal escapes). */
function formatString(value: string): string {
  let out = '"';
  for (const b of utf8Encode(value)) {
    if (b === 34) out += '\\"';
    else if (b === 92) out += "\\\\";
    else if (b === 10) out += "\\n";
    else if (b === 13) out += "\\r";
    else if (b === 9) out += "\\t";
    else if (b === 39) out += "\\'";
    else if (b < 32 || b >= 127) out += `\\${b.toString(8).padStart(3, "0")}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

/** Formats a `CheckpointState` as text, fields in TensorFlow's order. */
export function formatCheckpointState(state: CheckpointState): string {
  const lines = [`model_checkpoint_path: ${formatString(state.modelCheckpointPath)}`];
  for (const p of state.allModelCheckpointPaths) lines.push(`all_model_checkpoint_paths: ${formatString(p)}`);
  for (const t of state.allModelCheckpointTimestamps) lines.push(`all_model_checkpoint_timestamps: ${t}`);
  if (state.lastPreservedTimestamp !== undefined)
    lines.push(`last_preserved_timestamp: ${state.lastPreservedTimestamp}`);
  return `${lines.join("\n")}\n`;
}

/** Reads `<dir>/checkpoint`, or undefined when there is none. */
export async function readCheckpointState(store: Store, dir: string): Promise<CheckpointState | undefined> {
  const path = joinPath(dir, STATE_FILE);
  if (!(await store.exists(path)) || (await store.isDirectory(path))) return undefined;
  const size = await store.size(path);
  if (size > MAX_STATE_BYTES) {
    throw new CheckpointError("corrupt", cannot("read", path, `it has ${size} bytes; a state file is small`), { path });
  }
  return parseCheckpointState(utf8Decode(await store.read(path)), path);
}

/** Writes `<dir>/checkpoint` atomically. */
export async function writeCheckpointState(store: Store, dir: string, state: CheckpointState): Promise<void> {
  await store.write(joinPath(dir, STATE_FILE), utf8Encode(formatCheckpointState(state)));
}

/**
 * Resolves a path from a state file to a store path: relative paths are joined with `dir`;
 * absolute paths (written by old savers) are taken as the same name inside `dir`.
 */
export function resolveStatePath(dir: string, path: string): string {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)
    ? joinPath(dir, basenameOf(path.replaceAll("\\", "/")))
    : joinPath(dir, path);
}

/**
 * The prefix of the newest checkpoint in `dir`, like `tf.train.latest_checkpoint`: the state
 * file's `model_checkpoint_path`, provided its `.index` exists; undefined otherwise.
 */
export async function latestCheckpoint(store: Store, dir: string): Promise<string | undefined> {
  const state = await readCheckpointState(store, dir);
  if (state === undefined || state.modelCheckpointPath === "") return undefined;
  const prefix = resolveStatePath(dir, state.modelCheckpointPath);
  return (await store.exists(indexFileName(prefix))) ? prefix : undefined;
}
