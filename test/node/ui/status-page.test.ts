/**
 * The status page in a real browser (Debian's Chromium via puppeteer-core) against the staging
 * composition, with pods in several states: sign in with the token, the table shows them, a
 * filter narrows them, a state change appears without a reload, and it reads on a phone.
 * `UPDATE_SCREENSHOTS=1` writes the README's screenshot (docs/status-page.png).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, skipBrowserTests } from "../../support/browser";
import { startSystem, type System } from "../e2e/system";
import { waitFor as waitUntil } from "../relay/helpers";

const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 30_000);
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS ? "docs/status-page.png" : join(tmpdir(), "machinelet-status-page.png");

interface Pod {
  metadata: { uid: string };
  status?: { phase?: string; containerStatuses?: Array<{ containerID?: string }> };
}

const skip = skipBrowserTests("the status page browser test");

describe.skipIf(skip)("status page in a browser", () => {
  let stack: System;
  let browser: Browser;
  let page: Page;

  const podPath = (ns: string, name = "") => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ""}`;
  const createPod = (ns: string, name: string, spec: Record<string, unknown>) =>
    stack.kube.request<Pod>("POST", podPath(ns), { body: { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec } });
  const phaseOf = async (ns: string, name: string) => (await stack.kube.request<Pod>("GET", podPath(ns, name))).status?.phase;
  const machineOf = async (ns: string, name: string) => (await stack.kube.request<Pod>("GET", podPath(ns, name))).status?.containerStatuses?.[0]?.containerID?.replace("fly://", "");
  const exitMachine = (id: string, exitCode: number) =>
    fetch(`${stack.emulator.url}/_emulator/apps/${stack.app}/machines/${id}/exit`, { method: "POST", body: JSON.stringify({ exitCode }), headers: { "content-type": "application/json" } });
  const rows = () => page.$$eval("table.pods tbody tr", (trs) => trs.map((tr) => `${tr.querySelector("th")!.textContent} ${tr.getAttribute("data-phase")}`).sort());
  /** Waits until the table shows exactly these "name phase" rows. */
  const showsRows = async (expected: string[]) => {
    await page.waitForFunction(
      (want: string) => JSON.stringify(Array.from(document.querySelectorAll("table.pods tbody tr")).map((tr) => `${tr.querySelector("th")!.textContent} ${tr.getAttribute("data-phase")}`).sort()) === want,
      { timeout: 30_000 },
      JSON.stringify([...expected].sort()),
    );
    expect(await rows()).toEqual([...expected].sort());
  };

  beforeAll(async () => {
    stack = await startSystem({ cluster: "ui" });
    await waitFor("relay ready", async () => stack.relay.status().nodeReady && stack.relay.status().informersSynced);
    await stack.kube.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } } });
    const once = { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36", command: ["sh", "-c", "work"] }] };
    await createPod("shop", "web", { containers: [{ name: "main", image: "nginx:1.27" }] });
    await createPod("default", "job", once);
    await createPod("default", "done", once);
    await createPod("default", "huge", { containers: [{ name: "main", image: "nginx:1.27", resources: { requests: { cpu: "200" } } }] });
    for (const [ns, name] of [["shop", "web"], ["default", "job"], ["default", "done"]] as const) await waitFor(`${name} Running`, async () => (await phaseOf(ns, name)) === "Running");
    await exitMachine((await machineOf("default", "done"))!, 0);
    await waitFor("done Succeeded", async () => (await phaseOf("default", "done")) === "Succeeded");
    await waitFor("huge refused", async () => (await phaseOf("default", "huge")) === "Failed");
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("asks for the token, then shows every pod with its phase", { timeout: 60_000 }, async () => {
    const res = await page.goto(`${stack.worker.url}/ui/clusters/${stack.cluster}`);
    expect(res!.status()).toBe(401);
    expect(await page.$("table.pods")).toBeNull();
    await page.type("#token", stack.statusToken);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    expect(page.url()).toBe(`${stack.worker.url}/ui/clusters/${stack.cluster}`);
    expect(await rows()).toEqual(["done Succeeded", "huge Failed", "job Running", "web Running"]);
    const problem = await page.$$eval("table.pods tbody tr", (trs) => trs.find((tr) => tr.querySelector("th")!.textContent === "huge")!.textContent);
    expect(problem).toMatch(/cpu|guest/i);
    expect(await page.$eval('[data-phase-count="Running"]', (e) => e.textContent)).toBe("2");
  });

  it("narrows the table with the filters, without reloading", { timeout: 60_000 }, async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.select("#phase", "Failed");
    await showsRows(["huge Failed"]);
    expect(page.url()).toContain("phase=Failed");
    await page.select("#phase", "");
    await page.select("#namespace", "shop");
    await showsRows(["web Running"]);
    await page.select("#namespace", "");
    await page.type("#q", "jo");
    await showsRows(["job Running"]);
    await page.click("#q", { count: 3 });
    await page.keyboard.press("Backspace");
    await page.select("#problem", "none");
    await showsRows(["done Succeeded", "job Running", "web Running"]);
    await page.select("#problem", "");
    await showsRows(["done Succeeded", "huge Failed", "job Running", "web Running"]);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it("shows a state change without a reload", { timeout: 60_000 }, async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
    await exitMachine((await machineOf("default", "job"))!, 3);
    await showsRows(["done Succeeded", "huge Failed", "job Failed", "web Running"]);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
    expect(await page.$eval('[data-phase-count="Failed"]', (e) => e.textContent)).toBe("2");
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.setViewport({ width: 1440, height: 900 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("labels every control and reads on a phone without the page scrolling sideways", async () => {
    const unlabelled = await page.$$eval("input:not([type=hidden]), select", (els) => els.filter((e) => (e as HTMLInputElement).labels?.length === 0).map((e) => e.id));
    expect(unlabelled).toEqual([]);
    expect(await page.$$eval("table thead th", (ths) => ths.every((th) => th.getAttribute("scope") === "col"))).toBe(true);
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(scroll).toBeLessThanOrEqual(client);
  });
});
