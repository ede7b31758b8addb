import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FacadeError } from "../errors.js";
import { defaultFormatRegistry } from "../formats/builtin-formats.js";
import { isModelReader, isModelWriter, type ModelFormat } from "../formats/format.js";
import type { FormatRegistry } from "../formats/format-registry.js";

/** First-party plug-ins the CLI loads whenever they are installed beside it. */
export const FIRST_PARTY_PLUGINS: readonly string[] = ["@kerastore/tfjs-layers-format"];

/** Where the CLI looks for plug-ins beyond its `--plugin` flags. */
export interface PluginSources {
  /** `--plugin` values, in order: package names or paths (relative to `cwd`). */
  readonly flags: readonly string[];
  /** The `KERASTORE_PLUGINS` variable: comma-separated package names or paths. */
  readonly env: string | undefined;
  /** The directory from which the nearest package.json (`"kerastore": { "plugins": [...] }`) is found. */
  readonly cwd: string;
  /** First-party plug-ins to load when they resolve (default {@link FIRST_PARTY_PLUGINS}). */
  readonly firstParty?: readonly string[] | undefined;
  /** Told when an installed first-party plug-in fails to load (the CLI goes on without it). */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** A plug-in package's main entry: the formats it adds. */
export interface KerastorePlugin {
  readonly kerastoreFormats: readonly ModelFormat[];
}

/**
 * The CLI's formats: the built-in ones, then every plug-in's, each added as a user's format is
 * (a plug-in format named like a built-in one replaces it). Order, later replacing earlier:
 * first-party plug-ins that are installed, the nearest package.json's `kerastore.plugins`,
 * `KERASTORE_PLUGINS`, then `--plugin` flags.
 */
export async function cliFormats(sources: PluginSources): Promise<FormatRegistry> {
  const registry = defaultFormatRegistry();
  // Beside the CLI's own install, or in the project it runs in (pnpm keeps them apart).
  const own = createRequire(import.meta.url);
  const project = createRequire(join(resolve(sources.cwd), "package.json"));
  for (const name of sources.firstParty ?? FIRST_PARTY_PLUGINS) {
    const entry = tryResolve(own, name) ?? tryResolve(project, name);
    if (entry === undefined) continue;
    try {
      addPlugin(registry, name, await importPlugin(name, entry));
    } catch (error) {
      // An optional plug-in that is installed but broken must not stop every command.
      sources.onWarning?.(`${error instanceof Error ? error.message : String(error)}; going on without it`);
    }
  }
  const manifest = nearestPackageJson(sources.cwd);
  if (manifest !== undefined) {
    for (const spec of manifest.plugins)
      addPlugin(registry, spec, await loadPlugin(spec, manifest.dir, `${manifest.path} (kerastore.plugins)`));
  }
  const fromEnv = (sources.env ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const spec of fromEnv) addPlugin(registry, spec, await loadPlugin(spec, sources.cwd, "KERASTORE_PLUGINS"));
  for (const spec of sources.flags) addPlugin(registry, spec, await loadPlugin(spec, sources.cwd, "--plugin"));
  return registry;
}

/** Loads one plug-in named by a package name or a path, resolved from `base`. */
async function loadPlugin(spec: string, base: string, from: string): Promise<unknown> {
  const isPath = spec.startsWith(".") || isAbsolute(spec);
  if (isPath) {
    const file = resolve(base, spec);
    if (!existsSync(file)) throw pluginError(spec, `no such file ${file} (named by ${from})`);
    return importPlugin(spec, pathToFileURL(file).href);
  }
  const entry = tryResolve(createRequire(join(base, "package.json")), spec);
  if (entry !== undefined) return importPlugin(spec, entry);
  // A package whose exports only Node's `import` condition names: let Node resolve it.
  return importPlugin(spec, spec, `it is not installed where ${from} is read (${base})`);
}

async function importPlugin(spec: string, href: string, notFound?: string): Promise<unknown> {
  try {
    return await import(href.startsWith("/") ? pathToFileURL(href).href : href);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (notFound !== undefined && (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"))
      throw pluginError(spec, notFound);
    throw pluginError(spec, `importing it failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

function addPlugin(registry: FormatRegistry, spec: string, module: unknown): void {
  const formats = (module as Partial<KerastorePlugin> | null)?.kerastoreFormats;
  if (!Array.isArray(formats)) throw pluginError(spec, "its main entry exports no kerastoreFormats array");
  for (const [i, format] of formats.entries()) {
    if (
      format === null ||
      typeof format !== "object" ||
      typeof format.name !== "string" ||
      (!isModelReader(format) && !isModelWriter(format))
    ) {
      throw pluginError(spec, `kerastoreFormats[${i}] is neither a ModelReader (read) nor a ModelWriter (plan, write)`);
    }
    registry.add(format);
  }
}

function tryResolve(require: NodeJS.Require, name: string): string | undefined {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

/** The nearest package.json from `cwd` up that names plug-ins. */
function nearestPackageJson(cwd: string): { path: string; dir: string; plugins: string[] } | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const path = join(dir, "package.json");
    if (existsSync(path)) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(path, "utf8"));
      } catch (error) {
        throw new FacadeError(
          "invalid-argument",
          `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const plugins = (json as { kerastore?: { plugins?: unknown } } | null)?.kerastore?.plugins;
      if (plugins === undefined) return undefined;
      if (!Array.isArray(plugins) || !plugins.every((p) => typeof p === "string")) {
        throw new FacadeError(
          "invalid-argument",
          `cannot read ${path}: "kerastore": { "plugins" } must be an array of package names or paths`,
        );
      }
      return { path, dir, plugins };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function pluginError(spec: string, reason: string, cause?: unknown): FacadeError {
  return new FacadeError(
    "invalid-argument",
    `cannot load plugin "${spec}": ${reason}`,
    cause === undefined ? {} : { cause },
  );
}
