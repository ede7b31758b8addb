import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fixturePath, realworld, repoRoot } from "@kerastore/fixtures";
import { keras } from "kerastore";
import type { Browser, Page } from "playwright-core";
import { build as viteBuild } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage } from "../src/chromium.js";
import { type StaticServer, startStaticServer } from "../src/static-server.js";

// The example app (examples/web) built by Vite and used as a person would: open a Keras file,
// read its layers, draw, predict, add samples, fine-tune, download the .keras, which Node loads.
// The screenshot goes to .artifacts/ (KERASTORE_ARTIFACTS), CI's artefact folder.
const app = resolve(repoRoot, "examples/web");
const artifacts = process.env.KERASTORE_ARTIFACTS ?? resolve(repoRoot, ".artifacts");
const rw = realworld();
// An MNIST digit classifier written by Keras 2.6 when ../shared is here; else a Keras 3 CNN fixture.
const MODEL =
  rw.dir !== undefined ? join(rw.dir, "A-I-nstein__mnist_cnn__cnn_model.h5") : fixturePath("models/conv/model.keras");

describe("the example app in Chromium", () => {
  let work: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "kerastore-app-"));
    await viteBuild({
      root: app,
      configFile: join(app, "vite.config.ts"),
      logLevel: "silent",
      build: { outDir: join(work, "dist"), emptyOutDir: true },
    });
    server = await startStaticServer({ roots: { "/": join(work, "dist") } });
    browser = await launchChromium();
    ({ page, errors } = await openPage(browser, `${server.origin}/`));
    await page.setViewportSize({ width: 1180, height: 900 });
    await page.waitForSelector("body[data-ready=true]");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  async function draw(points: [number, number][]): Promise<void> {
    await page.locator("#pad").scrollIntoViewIfNeeded();
    const box = (await page.locator("#pad").boundingBox())!;
    const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
    await page.mouse.move(...at(points[0]!));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
    await page.mouse.up();
  }

  const seven: [number, number][] = [
    [0.25, 0.22],
    [0.72, 0.22],
    [0.45, 0.8],
  ];
  const one: [number, number][] = [
    [0.5, 0.18],
    [0.5, 0.82],
  ];

  it("opens a file, predicts a drawing, fine-tunes, downloads a .keras that Node loads, and looks right", async () => {
    await page.setInputFiles("#file", MODEL);
    await page.waitForSelector("#inspect:not([hidden])");
    const model = await keras.models.loadModel(MODEL);
    expect(await page.locator("#layers tbody tr").count()).toBe(model.layers.length);
    expect(await page.locator("#summary").textContent()).toContain("Total params");

    await page.waitForSelector("#predict:not([hidden])");
    const classes = await page.locator("#label option").count();
    expect(classes).toBeGreaterThan(1);
    await draw(seven);
    await page.click("#run");
    await page.waitForSelector("#bars[data-best]");
    expect(await page.locator("#bars .bar").count()).toBe(classes);

    // Teach it a class it does not predict for these strokes, so there is something to learn.
    const labels = classes >= 8 ? ["3", "3", "3"] : ["2", "2", "2"];
    for (const [i, label] of labels.entries()) {
      await draw(i % 2 === 0 ? seven : one);
      await page.selectOption("#label", label);
      await page.click("#add");
    }
    expect(await page.locator("#samples").textContent()).toBe("3 samples");
    await page.fill("#epochs", "6");
    await page.click("#fit");
    await page.waitForSelector("#train[data-done=true]", { timeout: 120_000 });
    const log = (await page.locator("#fit-log").textContent()) ?? "";
    const [, first, last] = /loss ([\d.e+-]+) → ([\d.e+-]+)/.exec(log) ?? [];
    expect(Number(last), log).toBeLessThan(Number(first));

    await draw(seven);
    await page.click("#run");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    expect(download.suggestedFilename()).toMatch(/-finetuned\.keras$/);
    const saved = join(work, download.suggestedFilename());
    await download.saveAs(saved);
    expect([...readFileSync(saved).subarray(0, 2)]).toEqual([0x50, 0x4b]);
    const tuned = await keras.models.loadModel(saved);
    expect(tuned.layers.length).toBe(model.layers.length);
    expect(tuned.countParams()).toBe(model.countParams());

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "example-web.png"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
