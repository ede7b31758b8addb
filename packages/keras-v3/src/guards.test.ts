import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeStore } from "@kerastore/core/node";
import { readFixture } from "@kerastore/fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { KerasV3Error, extractKerasArchive, openKerasArchive, parsePythonJson, writeZip, zipChunks } from "./index.js";

const enc = new TextEncoder();
const base = readFixture("models", "get_model", "model.keras");

/** Reads every member and parses the JSON ones: everything the container layer checks. */
async function readAll(bytes: Uint8Array): Promise<void> {
  const files = await openKerasArchive(bytes, { name: "mutant.keras" });
  for (const name of files.names) {
    const data = await files.read(name);
    if (name.endsWith(".json")) parsePythonJson(new TextDecoder("utf-8", { fatal: true }).decode(data));
  }
}

/** Either the archive reads back to the original members, or it fails with a KerasV3Error naming it. */
async function expectTypedOrIntact(bytes: Uint8Array, original: Map<string, Uint8Array>): Promise<"error" | "intact"> {
  let files: Awaited<ReturnType<typeof openKerasArchive>>;
  try {
    files = await openKerasArchive(bytes, { name: "mutant.keras" });
    const got = new Map<string, Uint8Array>();
    for (const name of files.names) got.set(name, await files.read(name));
    // A flip the container cannot see (a date, an attribute byte) must leave the data alone.
    expect([...got.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, data] of got) expect(Buffer.from(data).equals(Buffer.from(original.get(name)!))).toBe(true);
    return "intact";
  } catch (error) {
    if (!(error instanceof KerasV3Error)) throw error;
    expect(error.message).toMatch(/^cannot /);
    expect(error.message).toContain("mutant.keras");
    return "error";
  }
}

async function membersOf(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const files = await openKerasArchive(bytes);
  const out = new Map<string, Uint8Array>();
  for (const name of files.names) out.set(name, (await files.read(name)).slice());
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("mutated archives", () => {
  it("gives a typed error for every truncation (120 cut points)", async () => {
    const rand = rng(1);
    const cuts = new Set<number>([0, 1, 21, 22, base.length - 1, base.length - 22, base.length - 23]);
    while (cuts.size < 120) cuts.add(Math.floor(rand() * base.length));
    for (const cut of cuts) {
      const error = await readAll(base.subarray(0, cut)).catch((e: unknown) => e);
      expect(error, `cut at ${cut}`).toBeInstanceOf(KerasV3Error);
    }
  });

  it("gives a typed error or the intact members for 200 bit flips, most of them in the headers", async () => {
    const original = await membersOf(base);
    const rand = rng(2);
    const dataStart = 2280 + 30 + 16; // the weights member's data (see zip.test.ts for the layout)
    const dataEnd = dataStart + 15792;
    let errors = 0;
    for (let k = 0; k < 200; k++) {
      const mutant = base.slice();
      // Three in four flips hit the headers, metadata and config, where structure lives.
      let at = Math.floor(rand() * mutant.length);
      if (k % 4 !== 0) while (at >= dataStart && at < dataEnd) at = Math.floor(rand() * mutant.length);
      mutant[at] = mutant[at]! ^ (1 << Math.floor(rand() * 8));
      if ((await expectTypedOrIntact(mutant, original)) === "error") errors++;
    }
    // A flip inside any member's bytes is caught by its CRC-32, so nearly all flips are errors.
    expect(errors).toBeGreaterThan(150);
  });

  it("refuses zip bombs by ratio and by absolute size before allocating", async () => {
    // A deflate member claiming 1 TB from a few bytes: declared sizes are checked first.
    const bomb = writeZip([{ name: "config.json", data: enc.encode("{}") }]);
    const forge = (size: number, method: number) => {
      const b = bomb.slice();
      const v = new DataView(b.buffer);
      const cd = v.getUint32(b.length - 22 + 16, true);
      v.setUint16(cd + 10, method, true);
      v.setUint32(cd + 24, size, true);
      v.setUint16(8, method, true);
      v.setUint32(22, size, true);
      return b;
    };
    for (const [size, code] of [
      [0xfffffffe, "zip-bomb"],
      [200 * 2 ** 20, "zip-bomb"],
    ] as const) {
      await expect(openKerasArchive(forge(size, 8), { name: "bomb.keras" })).rejects.toMatchObject({ code });
    }
    // Absolute caps apply even to stored members the caller limits.
    await expect(openKerasArchive(base, { limits: { maxMemberSize: 10_000 } })).rejects.toMatchObject({
      code: "zip-bomb",
    });
    await expect(openKerasArchive(base, { limits: { maxTotalSize: 10_000 } })).rejects.toMatchObject({
      code: "zip-bomb",
    });
    // A deflate stream longer than its declared size is caught while inflating.
    const lying = forge(1, 8);
    await expect(readAll(lying)).rejects.toBeInstanceOf(KerasV3Error);
  });

  it("refuses overlapping members (one stream shared by many entries)", async () => {
    const zip = writeZip([
      { name: "a.json", data: enc.encode("{}") },
      { name: "b.json", data: enc.encode("{}") },
    ]);
    const v = new DataView(zip.buffer);
    const cd = v.getUint32(zip.length - 22 + 16, true);
    const second = cd + 46 + "a.json".length;
    v.setUint32(second + 42, 0, true); // b.json now points at a.json's header
    const error = await openKerasArchive(zip, { name: "overlap.keras" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "corrupt" });
    expect((error as Error).message).toContain("overlaps");
  });

  const unsafeNames = [
    "../evil.txt",
    "../../etc/passwd",
    "/abs/path",
    "assets/../../x",
    "a\\..\\b",
    "C:/windows/x",
    "c:evil",
    "a//b",
    "./a",
    "assets/./x",
    "x\u0000y",
    "",
  ];
  it.each(unsafeNames)("refuses the member name %j", async (name) => {
    const zip = writeZip([
      { name: "config.json", data: enc.encode("{}") },
      { name, data: enc.encode("pwned") },
    ]);
    await expect(openKerasArchive(zip, { name: "traversal.keras" })).rejects.toMatchObject({
      code: "unsafe-member-name",
    });
  });

  it("refuses duplicate members", async () => {
    const zip = writeZip([
      { name: "config.json", data: enc.encode("{}") },
      { name: "config.json", data: enc.encode('{"x": 1}') },
    ]);
    await expect(openKerasArchive(zip)).rejects.toMatchObject({ code: "duplicate-member" });
  });

  it("refuses encrypted members and unknown compression methods", async () => {
    const zip = writeZip([{ name: "config.json", data: enc.encode("{}") }]);
    const v = new DataView(zip.buffer);
    const cd = v.getUint32(zip.length - 22 + 16, true);
    const enc1 = zip.slice();
    new DataView(enc1.buffer).setUint16(cd + 8, 1, true);
    await expect(openKerasArchive(enc1)).rejects.toMatchObject({ code: "unsupported-zip" });
    const bz = zip.slice();
    new DataView(bz.buffer).setUint16(cd + 10, 12, true);
    await expect(openKerasArchive(bz)).rejects.toMatchObject({ code: "unsupported-zip" });
  });

  it("refuses a lying entry count and a central directory past the file", async () => {
    const zip = writeZip([{ name: "config.json", data: enc.encode("{}") }]);
    const many = zip.slice();
    new DataView(many.buffer).setUint16(many.length - 22 + 10, 0xfffe, true);
    await expect(openKerasArchive(many)).rejects.toMatchObject({ code: "corrupt" });
    const far = zip.slice();
    new DataView(far.buffer).setUint32(far.length - 22 + 16, 0x7fff0000, true);
    await expect(openKerasArchive(far)).rejects.toMatchObject({ code: "corrupt" });
  });
});

describe("extraction", () => {
  const root = mkdtempSync(join(tmpdir(), "kerastore-extract-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("unzips an archive into a directory that reads back the same", async () => {
    const store = new NodeStore(root);
    const names = await extractKerasArchive(base, store, "good");
    expect(names).toEqual(["metadata.json", "config.json", "model.weights.h5"]);
    const again = await openKerasArchive(store, { path: "good" });
    const original = await membersOf(base);
    for (const name of again.names)
      expect(Buffer.from(await again.read(name)).equals(Buffer.from(original.get(name)!))).toBe(true);
  });

  it("never writes outside the target directory, for traversal names and 100 mutated archives", async () => {
    const store = new NodeStore(root);
    const rand = rng(3);
    const attempts: Uint8Array[] = [];
    for (const name of [
      "../escaped.txt",
      "../../escaped.txt",
      "/tmp/escaped.txt",
      "..\\escaped.txt",
      "sub/../../escaped.txt",
    ]) {
      attempts.push(writeZip([{ name, data: enc.encode("x") }]));
      // The same name inside otherwise-good members, after them in the archive.
      attempts.push(writeZip([...zipChunksMembers(), { name, data: enc.encode("x") }]));
    }
    for (let k = 0; k < 100; k++) {
      const mutant = base.slice();
      const at = Math.floor(rand() * mutant.length);
      mutant[at] = mutant[at]! ^ (1 << Math.floor(rand() * 8));
      attempts.push(mutant);
    }
    let i = 0;
    for (const bytes of attempts) {
      const target = `t${i++}`;
      await extractKerasArchive(bytes, store, target).catch((error: unknown) => {
        expect(error).toBeInstanceOf(KerasV3Error);
      });
    }
    // Only the target directories exist at the top; nothing escaped beside or above them.
    const top = readdirSync(root).sort();
    for (const name of top) expect(name === "good" || name === "streamed.keras" || /^t\d+$/.test(name)).toBe(true);
    expect(readdirSync(join(root, "..")).includes("escaped.txt")).toBe(false);
    // A refused archive leaves its target empty or absent: nothing is written before all checks pass.
    for (let k = 0; k < 10; k++) expect(readdirSync(root).includes(`t${k}`)).toBe(false);
  });

  function zipChunksMembers() {
    return [
      { name: "config.json", data: enc.encode("{}") },
      { name: "metadata.json", data: enc.encode("{}") },
    ];
  }

  it("writes archives as chunks a Store streams", async () => {
    const store = new NodeStore(root);
    await store.write("streamed.keras", zipChunks(zipChunksMembers()));
    const files = await openKerasArchive(store, { path: "streamed.keras" });
    expect(files.names).toEqual(["config.json", "metadata.json"]);
  });
});
