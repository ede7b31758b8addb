import { copyFileSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PendingTensor, type SavedNode, bytesOf, isPendingTensor, openSource } from "@kerastore/core";
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

  it("gives its contiguous datasets a readBytesInto that copies into the caller's buffer; a file cut short names the file", async () => {
    const path = join(dir, "copy.h5");
    copyFileSync(fixturePath("models", "lstm", "model.h5"), path);
    const location = await locateSourceForRead(path);
    try {
      const formats = defaultFormatRegistry();
      const reader = await formats.detect(location);
      const read = await reader.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
      const pending: PendingTensor[] = [];
      const walk = (node: SavedNode): void => {
        for (const v of node.variables) if (isPendingTensor(v.value)) pending.push(v.value);
        for (const edge of node.children) walk(edge.node);
      };
      walk(read.data.root);
      const copiers = pending.filter((t) => t.readBytesInto !== undefined);
      expect(copiers.length).toBeGreaterThan(0);
      expect(copiers.length).toBe(pending.length);
      for (const tensor of copiers) {
        const whole = bytesOf((await tensor.load()).data as Float32Array);
        const target = new Uint8Array(tensor.byteLength + 8).fill(0xee);
        // In two runs, into a larger buffer: the bytes around them are left alone.
        const half = Math.floor(tensor.byteLength / 2);
        tensor.readBytesInto!(target.subarray(4, 4 + half), 0);
        tensor.readBytesInto!(target.subarray(4 + half, 4 + tensor.byteLength), half);
        expect(target.subarray(4, 4 + tensor.byteLength)).toEqual(whole);
        expect([...target.subarray(0, 4), ...target.subarray(4 + tensor.byteLength)]).toEqual(new Array(8).fill(0xee));
        expect(() => tensor.readBytesInto!(new Uint8Array(4), tensor.byteLength - 3)).toThrow(/tensor holds/);
      }
      // The file shrinks after the parse: the copy fails with a typed error naming the file.
      const last = copiers.reduce((a, b) => (a.byteLength > b.byteLength ? a : b));
      await truncate(path, 2048);
      expect(() => last.readBytesInto!(new Uint8Array(last.byteLength), 0)).toThrow(
        /cannot read .*copy\.h5: it ended at/,
      );
    } finally {
      closeSourceLocation(location);
    }
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
