// The facade runs on Node, so the format packages it imports must come through their Node
// entries, with the native checksum kernels installed (they make gigabyte files cheap to check).
import { createRequire } from "node:module";
import { crc32cKernelName } from "@kerastore/checkpoint";
import { crc32KernelName } from "@kerastore/keras-v3";
import { describe, expect, it } from "vitest";
import { keras } from "./node.js";

const hasNative = ((): boolean => {
  try {
    createRequire(import.meta.url)("@node-rs/crc32");
    return true;
  } catch {
    return false;
  }
})();

describe("checksums on Node", () => {
  it("use the native kernels through the packages' Node entries", () => {
    expect(typeof keras.ready).toBe("function");
    expect(crc32cKernelName()).toBe(hasNative ? "@node-rs/crc32" : "portable");
    expect(crc32KernelName()).toMatch(hasNative ? /^@node-rs\/crc32$/ : /^(node:zlib|portable)$/);
  });
});
