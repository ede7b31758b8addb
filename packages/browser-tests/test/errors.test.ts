import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePath } from "@kerastore/fixtures";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestPage } from "../src/build.js";
import { launchChromium, openPage } from "../src/chromium.js";
import { type StaticServer, startStaticServer } from "../src/static-server.js";

type Kind = "url" | "bytes" | "file" | "blob";
declare const kt: {
  setUp(): Promise<string>;
  loadError(
    source: { kind: Kind; url: string },
    keep?: number,
  ): Promise<{ name: string; code: string | undefined; message: string }>;
};

// Bad input in the page gets the same typed errors as in Node: named, placed, never a hang.
describe("bad input in Chromium", () => {
  let work: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "kerastore-errors-"));
    await buildTestPage(work);
    server = await startStaticServer({ roots: { "/": work, "/models/": fixturePath("models") } });
    browser = await launchChromium();
    ({ page } = await openPage(browser, `${server.origin}/`));
    await page.waitForSelector("body[data-ready=true]");
    await page.evaluate(() => kt.setUp());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("a URL the server does not have: not-found, naming the URL", async () => {
    const e = await page.evaluate(() => kt.loadError({ kind: "url", url: "/models/conv/missing.keras" }));
    // (Class names are minified in a bundle: `code` and instanceof are what pages check.)
    expect(e.code).toBe("not-found");
    expect(e.message).toMatch(
      /^cannot open http:\/\/127\.0\.0\.1:\d+\/models\/conv\/missing\.keras: no such file or directory/,
    );
  });

  it("bytes that are no model: names what was checked", async () => {
    const e = await page.evaluate(() => kt.loadError({ kind: "bytes", url: "/models/conv/summary.txt" }));
    expect(e.code).toBe("unknown-format");
    expect(e.message).toMatch(/cannot recognize model: it is none of .*keras.*h5/);
  });

  it.each([
    ["model.keras", 2000],
    ["model.h5", 3000],
  ])("a truncated %s: a typed error, not a hang or a crash", async (name, keep) => {
    const e = await page.evaluate(([url, k]) => kt.loadError({ kind: "bytes", url }, k), [
      `/models/conv/${name}`,
      keep,
    ] as const);
    expect(e.code).toBeTypeOf("string");
    expect(e.message).toMatch(/^cannot /);
  });
});
