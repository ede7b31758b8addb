import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { crc32, crc32KernelName, crc32Portable, setCrc32Kernel } from "./crc32.js";

// The package's Node entry, as a Node user imports it.
const nodeEntry = await import("./node.js");

function loads(name: string): boolean {
  try {
    createRequire(import.meta.url)(name);
    return true;
  } catch {
    return false;
  }
}

describe("CRC-32 kernels", () => {
  const installed = crc32KernelName();
  afterEach(() => {
    if (crc32KernelName() !== installed) setCrc32Kernel(installed, undefined);
  });

  it("the Node entry installs @node-rs/crc32 where it loads, else zlib.crc32", async () => {
    expect(nodeEntry.crc32KernelName).toBe(crc32KernelName);
    const zlib = (await import("node:zlib")) as { crc32?: unknown };
    expect(installed).toBe(
      loads("@node-rs/crc32") ? "@node-rs/crc32" : typeof zlib.crc32 === "function" ? "node:zlib" : "portable",
    );
  });

  it("the installed kernel agrees with the portable code at lengths and alignments around its threshold", () => {
    const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24);
    for (let start = 0; start < 8; start++) {
      for (const length of [0, 1, 255, 256, 257, 4096, 65_537, (1 << 20) - 8]) {
        const view = data.subarray(start, start + length);
        expect(crc32(view), `start ${start}, length ${length}`).toBe(crc32Portable(view));
        expect(crc32(view, 0xdeadbeef)).toBe(crc32Portable(view, 0xdeadbeef));
      }
    }
    expect(crc32(new TextEncoder().encode("123456789".repeat(40)))).toBe(
      crc32Portable(new TextEncoder().encode("123456789".repeat(40))),
    );
  });

  it("refuses a kernel that computes something else", () => {
    expect(() => setCrc32Kernel("broken", (bytes, crc) => (crc + bytes.length) >>> 0)).toThrow(
      /"broken": it disagrees/,
    );
    expect(crc32KernelName()).toBe(installed);
  });
});
