import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { KerasV3Error, bytesSource, readZipDirectory, readZipMember } from "./index.js";

// Issue 16 (10): the message of a member that inflates past its declared size had no number.
describe("a deflated member longer than declared", () => {
  it("names the declared size", async () => {
    const data = new Uint8Array(1000).fill(7);
    const zip = zipSync({ "config.json": data }, { level: 6 });
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    // Declare 500 bytes in the local header (offset 22) and the central directory entry (offset 24).
    view.setUint32(22, 500, true);
    const central = zip.findIndex((_, i) => view.getUint32(i, true) === 0x02014b50);
    view.setUint32(central + 24, 500, true);
    const dir = await readZipDirectory(bytesSource(zip));
    const error = await readZipMember(dir, dir.byName.get("config.json")!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerasV3Error);
    expect((error as Error).message).toMatch(/inflates to more than the 500 bytes declared/);
  });
});
