import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const DOC = fileURLToPath(new URL("../../../docs/reliability.md", import.meta.url));

/** Reads `--name value` flags (and bare `--flag` as "true"). */
export function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), "true");
  }
  return out;
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in docs/reliability.md. */
export async function writeSection(name: string, body: string): Promise<void> {
  const text = await readFile(DOC, "utf8");
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/reliability.md has no ${start} ... ${end} section`);
  await writeFile(DOC, `${text.slice(0, i + start.length)}\n${body.trim()}\n${text.slice(j)}`);
}

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
