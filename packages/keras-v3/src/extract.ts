import { type Store, cannot, joinPath } from "@kerastore/core";
import { type OpenArchiveOptions, openKerasArchive } from "./archive-files.js";
import { KerasV3Error } from "./errors.js";
import { unsafeMemberNameReason } from "./member-name.js";

/**
 * Unzips a `.keras` archive into `dir` of `target` (the directory form), and returns the file
 * names written.
 *
 * Every member is checked (name, size, CRC) before anything is written, so a bad archive
 * leaves nothing behind; each name is checked again as a path under `dir`, so no member lands
 * outside it whatever the store does with odd names.
 */
export async function extractKerasArchive(
  input: Uint8Array | Store,
  target: Store,
  dir: string,
  options: OpenArchiveOptions = {},
): Promise<string[]> {
  const files = await openKerasArchive(input, options);
  const root = joinPath(dir);
  const contents: { path: string; data: Uint8Array }[] = [];
  try {
    await gather();
  } finally {
    await files.close();
  }
  await target.mkdir(root);
  for (const { path, data } of contents) await target.write(path, data);
  return files.names.slice();

  async function gather(): Promise<void> {
    for (const name of files.names) {
      const path = joinPath(root, name);
      const rel = root === "" ? path : path.slice(root.length + 1);
      if (unsafeMemberNameReason(name) !== undefined || (root !== "" && !path.startsWith(`${root}/`)) || rel !== name) {
        throw new KerasV3Error(
          "unsafe-member-name",
          cannot(
            "extract",
            `member "${name}" of ${files.description}`,
            `it would land outside ${root || "the target"}`,
          ),
          {
            path: `${files.description}!${name}`,
          },
        );
      }
      contents.push({ path, data: await files.read(name) });
    }
  }
}
