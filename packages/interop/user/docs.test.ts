import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { repoRoot } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";

// The docs as a reader meets them: every relative link leads somewhere, every repository path
// they name exists, and every ```ts snippet type-checks against the built packages (as a user's
// project would see them: types from dist, strict).

const docs = [join(repoRoot, "README.md"), ...readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => join(repoRoot, "docs", f))];

const FENCE = /^```[^\n]*\n[\s\S]*?^```/gm;
const prose = (text: string) => text.replace(FENCE, "").replace(/`[^`\n]*`/g, "");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

const anchorsOf = (file: string) =>
  new Set(
    readFileSync(file, "utf8")
      .replace(FENCE, "")
      .split("\n")
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, ""))),
  );

describe("the docs", () => {
  it("the README leads with the install line, and says how long `bash .ci/run` takes and what needs Python", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    expect(readme.indexOf("npm install kerastore")).toBeLessThan(readme.indexOf("```ts"));
    expect(readme).toMatch(/How long `bash \.ci\/run` takes: \d+ minutes/);
    expect(readme).toMatch(/Only the Python reference step and the interop tests need Python/);
  });

  it.each(docs.map((f) => [relative(repoRoot, f), f]))("%s: every relative link resolves (file and anchor)", (_name, file) => {
    const broken: string[] = [];
    for (const m of prose(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const dest = path === "" ? file : resolve(dirname(file), path);
      if (!existsSync(dest)) broken.push(`${target}: no such file`);
      else if (anchor !== undefined && dest.endsWith(".md") && !anchorsOf(dest).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it.each(docs.map((f) => [relative(repoRoot, f), f]))("%s: every repository path it names exists", (_name, file) => {
    const text = readFileSync(file, "utf8").replace(FENCE, "");
    const missing: string[] = [];
    for (const m of text.matchAll(/(?<![\w./-])((?:packages|examples|docs|scripts)\/[\w./-]*\.(?:ts|md|json|py|mjs))/g)) {
      const path = m[1]!;
      if (/[<>*]/.test(path) || path.includes("/data/")) continue;
      if (!existsSync(join(repoRoot, path))) missing.push(path);
    }
    expect(missing).toEqual([]);
  });

  it.each(docs.map((f) => [relative(repoRoot, f), f]))("%s: every .md file it mentions is in the repository", (_name, file) => {
    // A name alone ("see reference-quirks.md") must be a doc here, at the root or in docs/.
    const text = readFileSync(file, "utf8").replace(FENCE, "");
    const missing: string[] = [];
    for (const m of text.matchAll(/(?<![\w./-])([\w-]+\.md)\b/g)) {
      const name = m[1]!;
      if (![join(dirname(file), name), join(repoRoot, name), join(repoRoot, "docs", name)].some(existsSync)) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it("every ```ts snippet type-checks against the built packages; the README's with nothing taken as given", () => {
    // Inside the workspace (packages/interop depends on every package), so the packages resolve
    // as installed ones do: through their exports' `types`, the built dist.
    const dir = join(repoRoot, "packages/interop/.doc-snippets");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    try {
      const guides: string[] = [];
      const readme: string[] = [];
      for (const doc of docs) {
        const text = readFileSync(doc, "utf8");
        let n = 0;
        for (const m of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
          const name = `${relative(repoRoot, doc).replace(/[/.]/g, "_")}_${++n}.ts`;
          // Each snippet is its own module.
          writeFileSync(join(dir, name), `${m[1]}\nexport {};\n`);
          (doc.endsWith("/README.md") && dirname(doc) === repoRoot ? readme : guides).push(name);
        }
      }
      expect(guides.length).toBeGreaterThanOrEqual(12);
      expect(readme.length).toBeGreaterThanOrEqual(1);
      // The guides may use the names given.d.ts declares; the README's snippet must define its own.
      writeFileSync(join(dir, "given.d.ts"), GIVEN);
      writeFileSync(join(dir, "assets.d.ts"), ASSETS);
      expect(typecheck(dir, "guides.json", ["given.d.ts", "assets.d.ts", ...guides])).toBe("");
      expect(typecheck(dir, "readme.json", readme)).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function typecheck(dir: string, config: string, files: readonly string[]): string {
  const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] };
  writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, files }));
  const r = spawnSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", join(dir, config)], { encoding: "utf8", cwd: dir });
  return `${r.stdout}${r.stderr}${r.status === 0 ? "" : `exit ${r.status}`}`;
}

// What the guides take as given, declared once: a model the reader has, an input, a custom
// layer class, a registry. Everything else a snippet uses, it must import or define itself.
const GIVEN = `import type { HostTensor, SavableModel } from "kerastore";
import type { Layer, Variable, tf } from "@kerastore/engine";
import type { Registry } from "@kerastore/registry";
declare global {
  const model: SavableModel;
  const other: SavableModel;
  const x: HostTensor;
  const layer: Layer;
  const someLayer: Layer;
  const someVariable: Variable;
  const registry: Registry;
  const text: string;
  const json: string;
  const path: string;
  const url: string;
  const npyUrl: string;
  const input: HTMLInputElement;
  const image: HostTensor;
  const CustomLayer: typeof Layer;
  const MyLayer: typeof Layer;
  function custom_activation(x: tf.Tensor): tf.Tensor;
  function load(path: string, options: { registry: Registry }): Promise<unknown>;
}
export {};
`;

// A bundler's asset URL import (what Vite's client types declare): an ambient, non-module file.
const ASSETS = `declare module "*?url" {
  const url: string;
  export default url;
}
`;
