/**
 * Debian's Chromium driven by puppeteer-core (which never downloads a browser). CI installs the
 * `chromium` package (.ci/run); elsewhere a test without it skips with a notice, never in CI.
 */
import { existsSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** True when the browser tests may skip: chromium absent and not in CI (where its absence is a failure). */
export function skipBrowserTests(what: string): boolean {
  if (HAS_CHROMIUM) return false;
  if (process.env.CI) return false;
  console.warn(`NOTICE: skipping ${what}: ${CHROMIUM} not found (apt-get install chromium)`);
  return true;
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace sandbox; /dev/shm is small there.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
  });
}
