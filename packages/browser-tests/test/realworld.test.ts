import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NumericHostTensor, readNpy } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestPage } from "../src/build.js";
import { launchChromium, openPage } from "../src/chromium.js";
import { type Plain, worstError } from "../src/compare.js";
import { realworldCases } from "../src/realworld-cases.js";
import { type StaticServer, startStaticServer } from "../src/static-server.js";

type Kind = "url" | "bytes" | "file" | "blob";
declare const kt: {
  predict(source: { kind: Kind; url: string }, input: string, weights?: { kind: Kind; url: string }): Promise<Plain>;
  setUp(): Promise<string>;
};

const rw = realworld();

// Every real-world file with a Keras reference output, loaded in headless Chromium from the
// page's URL and from bytes the page fetched, predicts what Keras predicted (1e-4 relative).
describe.skipIf(rw.dir === undefined)(
  `real-world files in Chromium${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    const dir = rw.dir ?? "";
    const cases = rw.dir === undefined ? [] : realworldCases(dir);
    let out: string;
    let server: StaticServer;
    let browser: Browser;
    let page: Page;
    let errors: string[];

    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), "kerastore-page-"));
      await buildTestPage(out);
      server = await startStaticServer({ roots: { "/": out, "/realworld/": dir } });
      browser = await launchChromium();
      ({ page, errors } = await openPage(browser, `${server.origin}/`));
      await page.waitForSelector("body[data-ready=true]");
      expect(await page.evaluate(() => kt.setUp())).toBe("wasm");
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (out !== undefined) rmSync(out, { recursive: true, force: true });
    });

    it("covers every file with a reference output (at least 10)", () => {
      expect(cases.length).toBeGreaterThanOrEqual(10);
    });

    const kinds: Kind[] = ["url", "bytes"];
    for (const kind of kinds) {
      it.each(cases.map((c) => [c.file, c] as const))(`%s by ${kind}`, async (_file, c) => {
        const model = { kind, url: `/realworld/${c.architecture ?? c.file}` };
        const weights = c.architecture === undefined ? undefined : { kind, url: `/realworld/${c.file}` };
        const got = await page.evaluate(([m, i, w]) => kt.predict(m, i, w), [
          model,
          `/realworld/${c.input}`,
          weights,
        ] as const);
        const expected = readNpy(new Uint8Array(readFileSync(join(dir, c.output)))) as NumericHostTensor;
        const { worst, at, shape } = worstError(got, expected);
        expect(shape, "shape").toBeUndefined();
        expect(worst, `worst relative error at ${at}`).toBeLessThanOrEqual(1e-4);
        expect(errors).toEqual([]);
      });
    }

    it("a File and an unnamed Blob load too (found by their first bytes)", async () => {
      const c = cases.find((x) => x.file.endsWith(".keras"))!;
      const expected = readNpy(new Uint8Array(readFileSync(join(dir, c.output)))) as NumericHostTensor;
      for (const kind of ["file", "blob"] as const) {
        const got = await page.evaluate(([m, i]) => kt.predict(m, i), [
          { kind, url: `/realworld/${c.file}` },
          `/realworld/${c.input}`,
        ] as const);
        expect(worstError(got, expected).worst, kind).toBeLessThanOrEqual(1e-4);
      }
    });

    it("a .keras file by URL is read by range requests, never downloaded whole in one response", async () => {
      const c =
        cases.find((x) => x.file === "Aman-21k__cnn-fashion-mnist-classifier__model.keras") ??
        cases.find((x) => x.file.endsWith(".keras"))!;
      const path = `/realworld/${c.file}`;
      const before = server.requests.length;
      await page.evaluate(([m, i]) => kt.predict(m, i), [
        { kind: "url" as Kind, url: path },
        `/realworld/${c.input}`,
      ] as const);
      const gets = server.requests.slice(before).filter((r) => r.path === path && r.method === "GET");
      expect(gets.length).toBeGreaterThan(1);
      expect(
        gets.every((r) => r.range !== undefined && r.status === 206),
        JSON.stringify(gets),
      ).toBe(true);
      // The central directory is read from the end of the file: the first read is a small tail.
      const size = readFileSync(join(dir, c.file)).byteLength;
      expect(gets.some((r) => r.bytes < size / 10)).toBe(true);
    });
  },
);
