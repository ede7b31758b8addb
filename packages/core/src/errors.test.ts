import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CoreError, KerastoreError, isKerastoreError } from "./index.js";

/** A second copy of the errors module in another directory, as two installed copies of core give. */
async function secondCopy(): Promise<typeof import("./errors.js")> {
  const file = join(mkdtempSync(join(tmpdir(), "kerastore-core-copy-")), "errors.ts");
  copyFileSync(new URL("./errors.ts", import.meta.url), file);
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as typeof import("./errors.js");
}

describe("isKerastoreError", () => {
  it("recognises errors by brand and code", () => {
    const error = new CoreError("not-found", "cannot read x: it is not there");
    expect(isKerastoreError(error)).toBe(true);
    expect(isKerastoreError(error, "not-found")).toBe(true);
    expect(isKerastoreError(error, "io")).toBe(false);
    expect(isKerastoreError(new Error("plain"))).toBe(false);
    expect(isKerastoreError({ code: "not-found", message: "look-alike" })).toBe(false);
    expect(isKerastoreError(undefined)).toBe(false);
  });

  it("works across two copies of the package, where instanceof alone does not", async () => {
    const other = await secondCopy();
    expect(other.KerastoreError).not.toBe(KerastoreError);
    const foreign = new other.CoreError("io", "cannot read y: disk error");
    expect(foreign instanceof CoreError).toBe(false);
    expect(isKerastoreError(foreign, "io")).toBe(true);
    expect(foreign instanceof KerastoreError).toBe(true);
    expect(other.isKerastoreError(new CoreError("io", "z"), "io")).toBe(true);
  });

  it("still accepts the codes renamed when the vocabulary settled", () => {
    const corrupt = new KerastoreError("corrupt", "cannot read a.h5: bad offset");
    expect(isKerastoreError(corrupt, "invalid-file")).toBe(true);
    expect(isKerastoreError(corrupt, "invalid-zip")).toBe(true);
    expect(isKerastoreError(new KerastoreError("invalid-argument", "m"), "bad-argument")).toBe(true);
    expect(isKerastoreError(corrupt, "invalid-argument")).toBe(false);
  });

  it("keeps subclass instanceof checks exact", () => {
    class OtherError extends KerastoreError {}
    expect(new CoreError("io", "m") instanceof OtherError).toBe(false);
    expect(new OtherError("io", "m") instanceof KerastoreError).toBe(true);
  });
});
