import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";

describe("kerastore CLI arguments", () => {
  it("parses the three commands of the contract", () => {
    expect(parseArgs(["inspect", "m.h5", "--json"])).toEqual({ command: "inspect", path: "m.h5", json: true });
    expect(parseArgs(["predict", "m.keras", "--input", "a.npy", "--input=b.npy", "--output", "y.npy"])).toEqual({
      command: "predict",
      model: "m.keras",
      inputs: ["a.npy", "b.npy"],
      outputs: ["y.npy"],
    });
    expect(parseArgs(["convert", "a.h5", "b.keras"])).toEqual({
      command: "convert",
      source: "a.h5",
      target: "b.keras",
      to: undefined,
      settings: {},
    });
    expect(parseArgs(["convert", "a.h5", "ckpt", "--to", "checkpoint"])).toMatchObject({ to: "checkpoint" });
    expect(parseArgs([])).toEqual({ command: "help" });
    expect(parseArgs(["predict", "sm", "--input", "x.npy", "--output", "y.npy", "--signature", "serve"])).toMatchObject(
      { signature: "serve" },
    );
  });

  it("takes --version and each command's --help, before any check of the rest", () => {
    expect(parseArgs(["--version"])).toEqual({ command: "version" });
    expect(parseArgs(["convert", "--help"])).toEqual({ command: "help", topic: "convert" });
    expect(parseArgs(["predict", "m.keras", "--bogus", "--help"])).toEqual({ command: "help", topic: "predict" });
    expect(() => parseArgs(["help", "frobnicate"])).toThrow(/unknown command "frobnicate"/);
    expect(() => parseArgs(["inspect", "m.h5", "--signature", "x"])).toThrow(/inspect takes no --signature/);
  });

  it("refuses what the contract does not allow, with the usage", () => {
    expect(() => parseArgs(["predict", "m.h5", "--output", "y.npy"])).toThrow(/needs at least one --input/);
    expect(() => parseArgs(["inspect", "a", "b"])).toThrow(/inspect takes one path/);
    expect(() => parseArgs(["inspect", "a", "--to", "h5"])).toThrow(/inspect takes no --to/);
    expect(() => parseArgs(["frobnicate"])).toThrow(/unknown command "frobnicate"[\s\S]*usage:/);
    expect(() => parseArgs(["convert", "a", "b", "--to"])).toThrow(/--to needs a value/);
    expect(() => parseArgs(["convert", "a", "b", "--verbose"])).toThrow(/unknown option --verbose/);
  });

  it("takes tensorflowjs_converter's quantization and shard size options for convert, in both spellings", () => {
    const settings = (...args: string[]) =>
      (parseArgs(["convert", "m.h5", "web", "--to", "tfjs", ...args]) as { settings: unknown }).settings;
    expect(settings("--quantize", "float16")).toEqual({ quantization: "float16" });
    expect(settings("--quantize=uint8", "--shard-size", "1048576")).toEqual({
      quantization: "uint8",
      shardSizeBytes: 1048576,
    });
    // The converter's own flags: alone, every weight; with =patterns, the matching weights.
    expect(settings("--quantize_uint16")).toEqual({ quantization: "uint16" });
    expect(settings("--quantize_float16=conv*,dense/kernel", "--quantize_uint8=emb*")).toEqual({
      quantization: { float16: ["conv*", "dense/kernel"], uint8: ["emb*"] },
    });
    expect(settings("--weight_shard_size_bytes=4096")).toEqual({ shardSizeBytes: 4096 });
    expect(() => settings("--quantize", "int4")).toThrow(/--quantize takes float16, uint8 or uint16, not "int4"/);
    expect(() => settings("--shard-size", "4MB")).toThrow(/--shard-size takes a positive number of bytes, not "4MB"/);
    expect(() => settings("--shard-size", "0")).toThrow(/positive number of bytes/);
    expect(() => settings("--quantize", "uint8", "--quantize_float16")).toThrow(/may not be given together/);
    expect(() => settings("--quantize_uint8=")).toThrow(/comma-separated weight-name patterns/);
    expect(() => parseArgs(["inspect", "m.h5", "--quantize", "uint8"])).toThrow(/inspect takes no --quantize/);
  });
});
