import { existsSync } from "node:fs";
import { type Browser, type Page, chromium } from "playwright-core";

/** The Chromium the tests drive: CHROMIUM_PATH, else Debian's package. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

/**
 * Launches headless Chromium (Debian's `chromium` package; .ci/run installs it). Fails with the
 * fix when it is missing: the browser tests are part of CI, never skipped for it.
 */
export async function launchChromium(): Promise<Browser> {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new Error(
      `cannot launch Chromium: ${path} does not exist; apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({
    executablePath: path,
    headless: true,
    // Root in CI has no user namespace for Chromium's sandbox; the pages are our own, on loopback.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/** A new page that turns uncaught page errors and console errors into a list the test can check. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  return { page, errors };
}
