import { readdirSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const PACKAGES = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

function newest(dir: string, ext: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path, ext));
    else if (entry.name.endsWith(ext) && !entry.name.includes(".test."))
      latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Child processes run the built packages (`dist`, ~1 s to start, not ~3 s through tsx): refuses
 * to run them when a package's sources are newer than its build.
 */
export function assertBuildFresh(
  packages: readonly string[] = ["core", "checkpoint", "engine", "h5", "keras-v3", "savedmodel", "kerastore", "config"],
): void {
  const stale = packages.filter((p) => {
    try {
      return newest(join(PACKAGES, p, "src"), ".ts") > newest(join(PACKAGES, p, "dist"), ".js");
    } catch {
      return true;
    }
  });
  if (stale.length > 0)
    throw new Error(`the build of ${stale.join(", ")} is older than its sources: run pnpm build first`);
}

/** True when every package's build is at least as new as its sources. */
export function buildIsFresh(): boolean {
  try {
    assertBuildFresh();
    return true;
  } catch {
    return false;
  }
}

let fresh: boolean | undefined;
const compiled = new Map<string, string>();

/**
 * The child script as plain JavaScript, compiled once per run beside this package (its own
 * relative imports bundled in, packages left to Node's resolution, so it runs the built `dist`).
 * Starting a child through tsx costs a further 1-1.5 s of loader set-up and per-module
 * transpiling on a busy machine, which the fuzz run pays once per input.
 */
function compiledChild(script: string): string {
  const known = compiled.get(script);
  if (known !== undefined) return known;
  // One file per process: two runs at once (fuzz and kill trials) never read each other's half-written child.
  const out = join(PACKAGES, "reliability", ".children", `${basename(script, ".ts")}-${process.pid}.mjs`);
  if (compiled.size === 0)
    process.on("exit", () => {
      for (const file of compiled.values()) rmSync(file, { force: true });
    });
  buildSync({
    entryPoints: [script],
    outfile: out,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
  });
  compiled.set(script, out);
  return out;
}

/**
 * The node arguments that run a TypeScript child: compiled JavaScript against the built packages
 * when the build is fresh (~1 s to start), else the sources through tsx (~3 s).
 */
export function childArgs(script: string, args: readonly string[]): string[] {
  fresh ??= buildIsFresh();
  return fresh ? [compiledChild(script), ...args] : ["--conditions=source", "--import", "tsx", script, ...args];
}
