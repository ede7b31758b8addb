#!/usr/bin/env node
// Creates (or reuses) the Python reference virtualenv and, given arguments, runs python in it.
//
//   node scripts/pyref.mjs                 prints the venv's python path (creating the venv if needed)
//   node scripts/pyref.mjs script.py args  runs the script with the venv's python
//
// The venv lives outside the clone, keyed by the hash of the requirements file, so fresh clones on
// the same machine reuse it. KERASTORE_PYREF overrides the location.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const requirements = join(root, "packages/fixtures/python/requirements.txt");

export function pyrefDir() {
  if (process.env.KERASTORE_PYREF) return resolve(process.env.KERASTORE_PYREF);
  const hash = createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 12);
  return join(homedir(), ".cache", "kerastore", `pyref-${hash}`);
}

export function ensurePyref({ quiet = false } = {}) {
  const dir = pyrefDir();
  const python = join(dir, "bin", "python");
  const stamp = join(dir, ".complete");
  if (existsSync(stamp)) return python;
  const log = quiet ? "ignore" : "inherit";
  const run = (cmd, args, env = {}) => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", log, "inherit"], env: { ...process.env, ...env } });
    if (r.status !== 0) {
      console.error(`pyref: "${cmd} ${args.join(" ")}" failed with exit code ${r.status}`);
      process.exit(1);
    }
  };
  if (!quiet) console.error(`pyref: creating the Python reference in ${dir}`);
  run("python3", ["-m", "venv", dir]);
  // No retries and a short timeout: this machine's mirror answers at once; other indexes never do.
  run(join(dir, "bin", "pip"), ["install", "--disable-pip-version-check", "-q", "-r", requirements], {
    PIP_RETRIES: "0",
    PIP_TIMEOUT: "5",
  });
  writeFileSync(stamp, new Date().toISOString());
  return python;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const python = ensurePyref({ quiet: process.argv.length > 2 });
  if (process.argv.length <= 2) {
    console.log(python);
  } else {
    const r = spawnSync(python, process.argv.slice(2), { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
}
