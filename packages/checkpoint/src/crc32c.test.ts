import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { crc32c, crc32cExtend, crc32cExtendPortable, crc32cKernelName, setCrc32cKernel } from "./crc32c.js";

// The package's Node entry, as a Node user imports it.
const nodeEntry = await import("./node.js");

function hasNativeBinary(): boolean {
  try {
    createRequire(import.meta.url)("@node-rs/crc32");
    return true;
  } catch {
    return false;
  }
}

describe("CRC32C kernels", () => {
  const installed = crc32cKernelName();
  afterEach(() => {
    // Tests below swap kernels; leave the one the Node entry installed.
    if (crc32cKernelName() !== installed) setCrc32cKernel(installed, undefined);
  });

  it("the Node entry installs the hardware kernel wherever its binary loads", () => {
    expect(nodeEntry.crc32cKernelName).toBe(crc32cKernelName);
    expect(installed).toBe(hasNativeBinary() ? "@node-rs/crc32" : "portable");
  });

  it("the installed kernel agrees with the portable code at every length and alignment around its threshold", () => {
    const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24);
    for (let start = 0; start < 8; start++) {
      for (const length of [0, 1, 255, 256, 257, 1000, 4096, 65_537, (1 << 20) - 8]) {
        const view = data.subarray(start, start + length);
        expect(crc32c(view), `start ${start}, length ${length}`).toBe(crc32cExtendPortable(0, view));
        expect(crc32cExtend(0xdeadbeef, view)).toBe(crc32cExtendPortable(0xdeadbeef, view));
      }
    }
    // Extending piece by piece equals one pass.
    let c = 0;
    for (let o = 0; o < data.length; o += 300_001) c = crc32cExtend(c, data.subarray(o, o + 300_001));
    expect(c).toBe(crc32cExtendPortable(0, data));
  });

  it("refuses a kernel that computes something else, and keeps the old one", () => {
    const before = crc32cKernelName();
    expect(() => setCrc32cKernel("broken", (crc, bytes) => (crc ^ bytes.length) >>> 0)).toThrow(
      /"broken": it disagrees/,
    );
    expect(crc32cKernelName()).toBe(before);
  });

  it("a kernel can be removed, and the portable code takes over", () => {
    setCrc32cKernel("portable-copy", crc32cExtendPortable);
    expect(crc32cKernelName()).toBe("portable-copy");
    setCrc32cKernel("portable-copy", undefined);
    expect(crc32cKernelName()).toBe("portable");
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });
});
