import { describe, expect, it } from "vitest";
import { BlobStore } from "./blob-store.js";

describe("BlobStore", () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);

  it("reads a blob whole and by slices, and lists a picked folder", async () => {
    const file = new File([bytes], "model.keras");
    const other = Object.assign(new File([bytes.subarray(0, 4)], "variables.index"), {
      webkitRelativePath: "sm/variables/variables.index",
    });
    const pb = Object.assign(new File([bytes.subarray(0, 8)], "saved_model.pb"), {
      webkitRelativePath: "sm/saved_model.pb",
    });
    const one = new BlobStore({ "model.keras": file });
    expect(await one.read("model.keras")).toEqual(bytes);
    expect(await one.readRange("model.keras", 60, 4)).toEqual(bytes.subarray(60));
    expect(await one.size("model.keras")).toBe(64);
    const folder = BlobStore.fromFiles([other, pb]);
    expect(await folder.isDirectory("sm")).toBe(true);
    expect(await folder.list("sm")).toEqual(["saved_model.pb", "variables"]);
    expect(await folder.list("sm/variables")).toEqual(["variables.index"]);
    expect(await folder.exists("sm/saved_model.pb")).toBe(true);
  });

  it("gives typed errors for missing files, bad ranges and writes", async () => {
    const store = new BlobStore({ "a.h5": new Blob([bytes]) });
    await expect(store.read("b.h5")).rejects.toMatchObject({ code: "not-found" });
    await expect(store.readRange("a.h5", 60, 10)).rejects.toThrow(
      /cannot read 10 bytes at 60 of a\.h5: the file has 64 bytes/,
    );
    await expect(store.write("a.h5")).rejects.toMatchObject({ code: "unsupported" });
    await expect(store.list("nowhere")).rejects.toMatchObject({ code: "not-found" });
  });
});
