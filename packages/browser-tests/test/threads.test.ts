import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NumericHostTensor, readNpy } from "@kerastore/core";
import { fixturePath } from "@kerastore/fixtures";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestPage } from "../src/build.js";
import { launchChromium } from "../src/chromium.js";
import { type Plain, worstError } from "../src/compare.js";
import { startStaticServer } from "../src/static-server.js";

declare const kt: {
  setUp(): Promise<string>;
  setUpThreads(threads: number): Promise<string>;
  threads(): Promise<{ isolated: boolean; threads: number }>;
  predict(source: { kind: "url"; url: string }, input: string): Promise<Plain>;
};

// The WASM backend runs its threaded SIMD build when the page is cross-origin isolated
// (COOP + COEP headers: SharedArrayBuffer is available) with several threads, the
// single-threaded one otherwise; predictions agree either way.
describe("WASM threads in Chromium", () => {
  let work: string;
  let browser: Browser;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "kerastore-threads-"));
    await buildTestPage(work);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it.each([true, false])("cross-origin isolated: %s", async (isolated) => {
    const server = await startStaticServer({ roots: { "/": work, "/models/": fixturePath("models") }, isolated });
    try {
      // Report 8 cores (this machine may have 2): tfjs-backend-wasm runs cores / 2 threads, up to 4.
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Emulation.setHardwareConcurrencyOverride", { hardwareConcurrency: 8 });
      await page.goto(`${server.origin}/`);
      await page.waitForSelector("body[data-ready=true]");
      await page.evaluate(() => kt.setUp());
      const info = await page.evaluate(() => kt.threads());
      expect(info.isolated).toBe(isolated);
      expect(info.threads).toBe(isolated ? 4 : 1);
      // The build tfjs-backend-wasm chose, as the server saw it fetched.
      const wasm = server.requests.filter((r) => r.path.endsWith(".wasm")).map((r) => r.path);
      expect(wasm).toEqual([
        isolated ? "/wasm/tfjs-backend-wasm-threaded-simd.wasm" : "/wasm/tfjs-backend-wasm-simd.wasm",
      ]);
      const got = await page.evaluate(() =>
        kt.predict({ kind: "url", url: "/models/conv/model.keras" }, "/models/conv/input0.npy"),
      );
      const expected = readNpy(readFileSync(fixturePath("models/conv/output0.npy"))) as NumericHostTensor;
      expect(worstError(got, expected).worst).toBeLessThanOrEqual(1e-4);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it.each([true, false])("threads: 2 on a 2-core page, cross-origin isolated: %s", async (isolated) => {
    const server = await startStaticServer({ roots: { "/": work, "/models/": fixturePath("models") }, isolated });
    try {
      // tfjs alone runs half the cores: one thread on 2 cores; asked for 2, the engine lifts that cap.
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Emulation.setHardwareConcurrencyOverride", { hardwareConcurrency: 2 });
      await page.goto(`${server.origin}/`);
      await page.waitForSelector("body[data-ready=true]");
      await page.evaluate(() => kt.setUpThreads(2));
      const info = await page.evaluate(() => kt.threads());
      expect(info).toEqual({ isolated, threads: isolated ? 2 : 1 });
      // The page reports its own core count again once the backend is up.
      expect(await page.evaluate(() => navigator.hardwareConcurrency)).toBe(2);
      const got = await page.evaluate(() =>
        kt.predict({ kind: "url", url: "/models/conv/model.keras" }, "/models/conv/input0.npy"),
      );
      const expected = readNpy(readFileSync(fixturePath("models/conv/output0.npy"))) as NumericHostTensor;
      expect(worstError(got, expected).worst).toBeLessThanOrEqual(1e-4);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
