import { execFileSync, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
let cachedPython: string | undefined;

/** The Python of the reference virtualenv, created on first use (scripts/pyref.mjs). */
export function referencePython(): string {
  cachedPython ??= execFileSync(process.execPath, [join(repoRoot, "scripts/pyref.mjs")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return cachedPython;
}

/** What a Python run printed, and how it ended. */
export interface PythonResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * Runs a Python snippet in the reference virtualenv and resolves with its output.
 *
 * Rejects when the snippet exits non-zero, with its stderr in the message, unless
 * `allowFailure` is set. TensorFlow's start-up chatter is silenced.
 */
export function runPython(
  code: string,
  options: { cwd?: string; args?: readonly string[]; allowFailure?: boolean; timeoutMs?: number } = {},
): Promise<PythonResult> {
  const python = referencePython();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, ["-c", code, ...(options.args ?? [])], {
      cwd: options.cwd ?? repoRoot,
      env: {
        ...process.env,
        TF_CPP_MIN_LOG_LEVEL: "3",
        KERAS_BACKEND: "tensorflow",
        PYTHONHASHSEED: "0",
        CUDA_VISIBLE_DEVICES: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 240_000);
    child.on("error", reject);
    child.on("close", (exit) => {
      clearTimeout(timer);
      const result = { stdout, stderr, code: exit ?? -1 };
      if (result.code !== 0 && options.allowFailure !== true) {
        reject(new Error(`python exited with ${result.code}:\n${stderr.slice(-4000)}`));
      } else {
        resolvePromise(result);
      }
    });
  });
}

/** Runs a snippet that prints one JSON document as its last stdout line, and parses it. */
export async function runPythonJson<T = unknown>(
  code: string,
  options: { cwd?: string; args?: readonly string[] } = {},
): Promise<T> {
  const { stdout } = await runPython(code, options);
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "null") as T;
}
