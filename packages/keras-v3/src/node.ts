/**
 * The package entry for Node: everything `index.ts` exports, with a native CRC-32 kernel
 * installed: `@node-rs/crc32` (an optional dependency) where its binary loads, else Node's own
 * `zlib.crc32` (Node 20.15 and later). Zip checksums then cost a tenth of the portable code's
 * time. Set KERASTORE_CRC32=portable to keep the portable code.
 */
import { setCrc32Kernel } from "./crc32.js";

export * from "./index.js";

const ZLIB: string = "node:zlib";

type Crc32Fn = (input: Uint8Array, initial?: number) => number;

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
if (env?.KERASTORE_CRC32 !== "portable") {
  const candidates: [string, () => Promise<unknown>][] = [
    ["@node-rs/crc32", () => import("@node-rs/crc32")],
    // Named through a variable: the published build type-checks without Node's types.
    ["node:zlib", () => import(ZLIB)],
  ];
  for (const [name, load] of candidates) {
    try {
      const mod = (await load()) as { crc32?: Crc32Fn; default?: { crc32?: Crc32Fn } };
      const fn = mod.crc32 ?? mod.default?.crc32;
      if (typeof fn !== "function") continue;
      setCrc32Kernel(name, (bytes, crc) => fn(bytes, crc));
      break;
    } catch {
      // Not available here, or failed its self-check: try the next, then the portable code.
    }
  }
}
