import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGES = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

function newest(dir: string, ext: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path, ext));
    else if (entry.name.endsWith(ext) && !entry.name.includes(".test.")) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Child processes run the built packages (`dist`, ~1 s to start, not ~3 s through tsx): refuses
 * to run them when a package's sources are newer than its build.
 */
export function assertBuildFresh(packages: readonly string[] = ["core", "checkpoint", "engine", "h5", "keras-v3", "savedmodel", "kerastore", "config"]): void {
  const stale = packages.filter((p) => {
    try {
      return newest(join(PACKAGES, p, "src"), ".ts") > newest(join(PACKAGES, p, "dist"), ".js");
    } catch {
      return true;
    }
  });
  if (stale.length > 0) throw new Error(`the build of ${stale.join(", ")} is older than its sources: run pnpm build first`);
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

/**
 * The node arguments that run a TypeScript child: against the built packages when the build is
 * fresh (~1 s to start), else against the sources through tsx (~3 s).
 */
export function childArgs(script: string, args: readonly string[]): string[] {
  fresh ??= buildIsFresh();
  return [...(fresh ? [] : ["--conditions=source"]), "--import", "tsx", script, ...args];
}
