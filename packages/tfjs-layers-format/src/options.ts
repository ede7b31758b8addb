import { cannot } from "@kerastore/core";
import { TfjsFormatError } from "./errors.js";

/** The weight quantizations `tensorflowjs_converter` offers. */
export type QuantizationDType = "float16" | "uint8" | "uint16";

/** How to write a TensorFlow.js Layers model (the converter's options). */
export interface TfjsWriteSettings {
  /** Bytes per weight shard file (`--weight_shard_size_bytes`). Default 4 MiB, as the converter. */
  readonly shardSizeBytes: number;
  /**
   * Quantize float32 weights (`--quantize_float16` / `--quantize_uint8` / `--quantize_uint16`):
   * to one dtype for every weight, or per dtype a list of weight-name patterns (`*` matches any run
   * of characters, as the converter's fnmatch patterns).
   */
  readonly quantize: QuantizationDType | Partial<Record<QuantizationDType, readonly string[]>> | undefined;
}

/** The converter's default shard size: 4 MiB, what browsers cache best. */
export const DEFAULT_SHARD_SIZE_BYTES = 4 * 1024 * 1024;

const DTYPES: readonly QuantizationDType[] = ["float16", "uint8", "uint16"];

/** Reads the writer's settings from the format's `settings` object, refusing bad values. */
export function writeSettings(
  settings: { readonly shardSizeBytes?: unknown; readonly quantization?: unknown } | undefined,
  where: string,
): TfjsWriteSettings {
  const shard = settings?.["shardSizeBytes"] ?? DEFAULT_SHARD_SIZE_BYTES;
  if (typeof shard !== "number" || !Number.isSafeInteger(shard) || shard <= 0) {
    throw new TfjsFormatError(
      "bad-option",
      cannot("write", where, `shardSizeBytes must be a positive integer, got ${JSON.stringify(shard)}`),
    );
  }
  const q = settings?.["quantization"];
  if (q === undefined || q === null) return { shardSizeBytes: shard, quantize: undefined };
  if (typeof q === "string") {
    if (!(DTYPES as readonly string[]).includes(q)) throw badQuantize(where, q);
    return { shardSizeBytes: shard, quantize: q as QuantizationDType };
  }
  if (typeof q !== "object" || Array.isArray(q)) throw badQuantize(where, q);
  const map: Partial<Record<QuantizationDType, readonly string[]>> = {};
  for (const [key, patterns] of Object.entries(q)) {
    if (!(DTYPES as readonly string[]).includes(key)) throw badQuantize(where, q);
    const list = typeof patterns === "string" ? [patterns] : patterns;
    if (!Array.isArray(list) || !list.every((p) => typeof p === "string")) throw badQuantize(where, q);
    map[key as QuantizationDType] = list as string[];
  }
  return { shardSizeBytes: shard, quantize: map };
}

function badQuantize(where: string, value: unknown): TfjsFormatError {
  return new TfjsFormatError(
    "bad-option",
    cannot(
      "write",
      where,
      `quantization must be "float16", "uint8", "uint16" or {dtype: [weight-name patterns]}, got ${JSON.stringify(value)}`,
    ),
  );
}

/** The quantization dtype for the weight `name`, if any; a weight two dtypes claim is an error. */
export function quantizationFor(
  settings: TfjsWriteSettings,
  name: string,
  where: string,
): QuantizationDType | undefined {
  const q = settings.quantize;
  if (q === undefined) return undefined;
  if (typeof q === "string") return q;
  let found: QuantizationDType | undefined;
  for (const dtype of DTYPES) {
    if ((q[dtype] ?? []).some((p) => globMatch(p, name))) {
      if (found !== undefined && found !== dtype) {
        throw new TfjsFormatError(
          "bad-option",
          cannot("write", where, `weight ${name} matches both ${found} and ${dtype} quantization patterns`),
        );
      }
      found = dtype;
    }
  }
  return found;
}

/** fnmatch-style: `*` any run, `?` one character, everything else literal. */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s").test(name);
}
