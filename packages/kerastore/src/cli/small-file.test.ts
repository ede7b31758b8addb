import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSource } from "@kerastore/core";
import { fixturePath } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultFormatRegistry } from "../formats/builtin-formats.js";
import "../node.js";
import { convertFile } from "./convert.js";
import { CONVERT_READ_BYTES, closeSourceLocation, locateSourceForRead } from "./small-file.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kerastore-small-file-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** File descriptors this process holds open on `path` (Linux: /proc/self/fd). */
const openOn = (path: string): number =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;

describe("convert's source held open (a small file on disk)", () => {
  it("answers reads and synchronous reads of the file's bytes, and refuses reads once closed", async () => {
    const path = fixturePath("models", "lstm", "model.h5");
    const bytes = new Uint8Array(readFileSync(path));
    const location = await locateSourceForRead(path);
    expect(openOn(path)).toBe(1);
    const source = await openSource(location.store, location.path);
    expect(source.size).toBe(bytes.byteLength);
    expect(await source.read(100, 50)).toEqual(bytes.subarray(100, 150));
    expect((source as unknown as { readSync(o: number, n: number): Uint8Array }).readSync(0, 8)).toEqual(
      bytes.subarray(0, 8),
    );
    expect(await location.store.readRange(location.path, 7, 9)).toEqual(bytes.subarray(7, 16));
    await expect(source.read(bytes.byteLength - 1, 2)).rejects.toThrow(/model\.h5/);
    closeSourceLocation(location);
    expect(openOn(path)).toBe(0);
    await expect(source.read(0, 8)).rejects.toThrow(/cannot read .*model\.h5: the conversion closed it/);
  });

  it("holds a source of any size open (one over 16 MiB, CONVERT_READ_BYTES, too)", async () => {
    const big = join(dir, "big.h5");
    // A sparse file (no bytes written): only its size matters here.
    await writeFile(big, new Uint8Array(0));
    await truncate(big, CONVERT_READ_BYTES + 1);
    const location = await locateSourceForRead(big);
    expect(openOn(big)).toBe(1);
    expect(await location.store.size(location.path)).toBe(CONVERT_READ_BYTES + 1);
    closeSourceLocation(location);
    expect(openOn(big)).toBe(0);
  });

  it("convertFile closes it whether the conversion succeeds or fails", async () => {
    const formats = defaultFormatRegistry();
    // .h5 to .keras: the live-model road (no file-to-file writer), after the source was read.
    const source = fixturePath("models", "mlp_sequential", "model.h5");
    await convertFile(source, join(dir, "m.keras"), undefined, formats);
    expect(openOn(source)).toBe(0);
    const bad = join(dir, "bad.h5");
    await writeFile(bad, new Uint8Array(1000).fill(7));
    await expect(convertFile(bad, join(dir, "bad.keras"), undefined, formats)).rejects.toThrow(/bad\.h5/);
    expect(openOn(bad)).toBe(0);
  });
});
