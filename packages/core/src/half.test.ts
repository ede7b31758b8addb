import { describe, expect, it } from "vitest";
import {
  bfloat16BitsToNumber,
  decodeBfloat16,
  encodeBfloat16,
  encodeFloat16,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "./index.js";

describe("float16", () => {
  it("decodes the landmark bit patterns", () => {
    expect(float16BitsToNumber(0x3c00)).toBe(1);
    expect(float16BitsToNumber(0xc000)).toBe(-2);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(float16BitsToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16BitsToNumber(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
  });

  it("encodes with round-to-nearest-even, overflow and subnormals", () => {
    expect(numberToFloat16Bits(1)).toBe(0x3c00);
    expect(numberToFloat16Bits(65504)).toBe(0x7bff);
    expect(numberToFloat16Bits(65520)).toBe(0x7c00); // rounds up to infinity, as NumPy does
    expect(numberToFloat16Bits(1e6)).toBe(0x7c00);
    expect(numberToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(numberToFloat16Bits(2 ** -26)).toBe(0x0000);
    // 1 + 2^-11 lies exactly between 1 and the next half: ties go to the even mantissa (1).
    expect(numberToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3*2^-11 lies between odd 0x3c01 and even 0x3c02: goes to 0x3c02.
    expect(numberToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(numberToFloat16Bits(Number.NaN) & 0x7e00).toBe(0x7e00);
  });

  it("round-trips every finite half exactly", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const e = (bits >> 10) & 0x1f;
      if (e === 0x1f) continue;
      expect(numberToFloat16Bits(float16BitsToNumber(bits))).toBe(bits);
    }
    expect(Array.from(encodeFloat16([0.5, -0.25]))).toEqual([0x3800, 0xb400]);
  });
});

describe("bfloat16", () => {
  it("is the top half of a float32, rounded to nearest even", () => {
    expect(bfloat16BitsToNumber(0x3f80)).toBe(1);
    expect(numberToBfloat16Bits(1)).toBe(0x3f80);
    expect(numberToBfloat16Bits(3.140625)).toBe(0x4049);
    // 1 + 2^-8 is a tie between 0x3f80 and 0x3f81: even wins.
    expect(numberToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(numberToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bfloat16BitsToNumber(numberToBfloat16Bits(Number.NaN)))).toBe(true);
    expect(Array.from(decodeBfloat16(encodeBfloat16([1.5, -2, 0])))).toEqual([1.5, -2, 0]);
  });
});
