import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuildReport, buildWebApp, PAGE_BUDGET_BYTES } from "./build.ts";
import { launchChromium } from "./chromium.ts";
import { serveWebApp, type WebAppServer } from "./serve.ts";

// The shop in real Chromium: two people offline, a reload while offline, tabs syncing with the
// server down. Every wait is bounded; the final state is checked against what the test did.

const here = fileURLToPath(new URL(".", import.meta.url));
let dir: string;
let report: BuildReport;
let browser: Browser;
let server: WebAppServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "converge-web-"));
  report = await buildWebApp(join(dir, "dist"));
  server = await serveWebApp({ dist: report.dir, dataDir: dir });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(context: BrowserContext, name: string, url = server.url): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${name}] ${e.message}`));
  if (process.env["CONVERGE_WEB_DEBUG"] === "1")
    page.on("console", (m) => console.log(`[${name}] ${m.text()}`));
  await page.goto(`${url}?name=${name}`);
  await ready(page);
  // The service worker holds the shell, so a reload works offline.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  return page;
}

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as { shopPage?: unknown }).shopPage !== undefined, null, {
    timeout: 20_000,
  });
}

/** Waits until the page is synced with the server and its outbox is empty. */
async function synced(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = (
        globalThis as unknown as { shopPage?: { server: { status(): string; outboxSize(): number } } }
      ).shopPage;
      return s !== undefined && s.server.status() === "synced" && s.server.outboxSize() === 0;
    },
    null,
    { timeout: 20_000, polling: 100 },
  );
}

const stateHex = (page: Page): Promise<string> =>
  page.evaluate(async () => {
    const s = await (globalThis as unknown as { shop: Promise<{ map: { encodeState(): Uint8Array } }> }).shop;
    return [...s.map.encodeState()].map((b) => b.toString(16).padStart(2, "0")).join("");
  });

const text = async (page: Page, test: string): Promise<string> =>
  (await page.locator(`[data-test="${test}"]`).textContent()) ?? "";

async function act(page: Page, steps: readonly (readonly [string, string?])[]): Promise<void> {
  for (const [test, fill] of steps) {
    if (fill === undefined) await page.locator(`[data-test="${test}"]`).click();
    else await page.locator(`[data-test="${test}"]`).fill(fill);
  }
}

describe("the shop web app in Chromium", () => {
  it("ships converge to the page within the size budget", () => {
    console.log(
      `[web app] converge ${(report.convergeGzip / 1024).toFixed(1)} KB min+gzip (the page with the app's own code ${(report.pageGzip / 1024).toFixed(1)} KB); QuickJS ${(report.quickjsJsGzip / 1024).toFixed(1)} KB JS + ${(report.quickjsWasmGzip / 1024).toFixed(1)} KB wasm (gzip)`,
    );
    expect(report.convergeGzip).toBeGreaterThan(5_000);
    // The app's own code comes on top: what was weighed is converge's part of the page.
    expect(report.pageGzip).toBeGreaterThan(report.convergeGzip);
    expect(report.convergeGzip).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it("two people edit offline, one reloads offline, both come back: same DOM, same bytes, every edit there", async () => {
    const ctxA = await browser.newContext();
    const ctxB = await browser.newContext();
    contexts.push(ctxA, ctxB);
    const ann = await open(ctxA, "Ann");
    const bo = await open(ctxB, "Bo");
    await synced(ann);
    await synced(bo);
    await ann.waitForFunction(
      () => document.getElementById("presence")?.textContent?.includes("Bo") === true,
      null,
      {
        timeout: 10_000,
      },
    );

    await ctxA.setOffline(true);
    await ctxB.setOffline(true);
    await ann.waitForFunction(() => document.getElementById("status")?.dataset["status"] !== "synced", null, {
      timeout: 15_000,
    });
    await bo.waitForFunction(() => document.getElementById("status")?.dataset["status"] !== "synced", null, {
      timeout: 15_000,
    });

    // The oracle: what each person does.
    await act(ann, [
      ["stock-plus-apple"],
      ["stock-plus-apple"],
      ["stock-plus-apple"],
      ["price-input-apple", "120"],
      ["price-set-apple"],
      ["tag-input-apple", "red"],
      ["tag-set-apple"],
      ["cart-input-apple", "2"],
      ["cart-add-apple"],
    ]);
    await act(bo, [
      ["stock-plus-apple"],
      ["stock-plus-apple"],
      ["stock-minus-apple"],
      ["price-input-pear", "80"],
      ["price-set-pear"],
      ["tag-input-apple", "green"],
      ["tag-set-apple"],
      ["cart-input-fig", "1"],
      ["cart-add-fig"],
    ]);
    expect(await text(ann, "stock-apple")).toBe("3");
    expect(await text(bo, "stock-apple")).toBe("1");

    // Ann reloads while offline: the page comes from the service worker, her edits from IndexedDB.
    await ann.evaluate(async () => {
      const s = await (
        globalThis as unknown as { shop: Promise<{ server: { whenCommitted(): Promise<void> } }> }
      ).shop;
      await s.server.whenCommitted();
    });
    await ann.reload();
    await ready(ann);
    expect(await text(ann, "stock-apple")).toBe("3");
    expect(await text(ann, "price-apple")).toBe("120");
    expect(await text(ann, "tags-apple")).toContain("red");

    await ctxA.setOffline(false);
    await ctxB.setOffline(false);
    await synced(ann);
    await synced(bo);
    await ann.waitForFunction(
      () => document.querySelector('[data-test="stock-apple"]')?.textContent === "4",
      null,
      {
        timeout: 15_000,
      },
    );
    await bo.waitForFunction(
      () => document.querySelector('[data-test="stock-apple"]')?.textContent === "4",
      null,
      {
        timeout: 15_000,
      },
    );

    for (const page of [ann, bo]) {
      expect(await text(page, "stock-apple")).toBe("4"); // 3 + 2 - 1
      expect(await text(page, "price-apple")).toBe("120");
      expect(await text(page, "price-pear")).toBe("80");
      const tags = await text(page, "tags-apple"); // the conflict stays visible, both values
      expect(tags).toContain("red");
      expect(tags).toContain("green");
      expect(JSON.parse((await page.locator("#cart").textContent()) ?? "")).toEqual({ apple: 2, fig: 1 });
    }
    const [a, b] = [await stateHex(ann), await stateHex(bo)];
    expect(a).toBe(b);
    const hostDoc = await server.host.document("shop");
    expect(Buffer.from(hostDoc.encodeState()).toString("hex")).toBe(a);
    // The script-resolved cart reads the same under QuickJS in the page as on the Node replica.
    const pageCart = await ann.evaluate(() =>
      (globalThis as unknown as { shopPage: { map: { get(k: string): unknown } } }).shopPage.map.get(
        "cart:shared",
      ),
    );
    expect(hostDoc.get("cart:shared")).toEqual({ apple: 2, fig: 1 });
    expect(pageCart).toEqual(hostDoc.get("cart:shared"));
    const shot = process.env["CONVERGE_SCREENSHOT"] ?? join(dir, "web-app.png");
    await ann.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
  }, 120_000);

  it("two tabs sync through BroadcastChannel with the server down, then both catch the server up", async () => {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const one = await open(ctx, "Cy");
    const two = await open(ctx, "Di");
    await synced(one);
    await synced(two);
    const port = server.port;
    await server.close();
    await one.waitForFunction(() => document.getElementById("status")?.dataset["status"] !== "synced", null, {
      timeout: 15_000,
    });

    await act(one, [["stock-plus-fig"], ["stock-plus-fig"]]);
    await act(two, [["tag-input-fig", "ripe"], ["tag-set-fig"], ["stock-plus-fig"]]);
    for (const page of [one, two]) {
      await page.waitForFunction(
        () =>
          document.querySelector('[data-test="stock-fig"]')?.textContent === "3" &&
          document.querySelector('[data-test="tags-fig"]')?.textContent?.includes("ripe") === true,
        null,
        { timeout: 15_000 },
      );
    }
    expect(await stateHex(one)).toBe(await stateHex(two));

    server = await serveWebApp({ port, dist: report.dir, dataDir: dir });
    await synced(one);
    await synced(two);
    const shop = await server.host.document("shop");
    expect(shop.get("stock:fig")).toBe(3);
    expect(shop.get("stock:apple")).toBe(4);
    expect(Buffer.from(shop.encodeState()).toString("hex")).toBe(await stateHex(one));
    expect(await stateHex(two)).toBe(await stateHex(one));
  }, 120_000);
  it("a tab closed in the middle of writing loses nothing it had committed", async () => {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const first = await open(ctx, "Ed");
    await synced(first);
    const before = Number((await server.host.document("shop")).get("stock:pear") ?? 0);
    await ctx.setOffline(true);
    await first.waitForFunction(
      () => document.getElementById("status")?.dataset["status"] !== "synced",
      null,
      {
        timeout: 15_000,
      },
    );
    for (let i = 0; i < 20; i++) await first.locator('[data-test="stock-plus-pear"]').click();
    await act(first, [["tag-input-pear", "kept"], ["tag-set-pear"]]);
    await first.evaluate(async () => {
      const s = (globalThis as unknown as { shopPage: { server: { whenCommitted(): Promise<void> } } })
        .shopPage;
      await s.server.whenCommitted();
    });
    // More writes, and the tab is gone before they can be committed or sent.
    await first.evaluate(() => {
      for (let i = 0; i < 5; i++)
        (document.querySelector('[data-test="stock-plus-pear"]') as HTMLElement).click();
    });
    await first.close();
    await ctx.setOffline(false);
    const second = await open(ctx, "Ed");
    await synced(second);
    const shop = await server.host.document("shop");
    const deadline = Date.now() + 15_000;
    while (Number(shop.get("stock:pear") ?? 0) < before + 20 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = Number(shop.get("stock:pear"));
    expect(after - before).toBeGreaterThanOrEqual(20); // every committed increment arrived
    expect(after - before).toBeLessThanOrEqual(25); // and nothing more than was written
    expect(shop.conflicts("tags:pear").map((c) => c.value)).toContain("kept");
    await second.waitForFunction(
      (n) => document.querySelector('[data-test="stock-pear"]')?.textContent === String(n),
      after,
      {
        timeout: 15_000,
      },
    );
  }, 120_000);
  it("the IndexedDB store passes the Store contract kit inside Chromium", async () => {
    const bundle = await build({
      entryPoints: [join(here, "browser/store-contract.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["@converge/source"],
      write: false,
      logLevel: "warning",
    });
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(`${server.url}?name=kit`); // the app's origin, for its IndexedDB
    await page.addScriptTag({ content: bundle.outputFiles[0]?.text ?? "", type: "module" });
    await page.waitForFunction(
      () => (globalThis as { runStoreContract?: unknown }).runStoreContract !== undefined,
    );
    const results = await page.evaluate(() =>
      (
        globalThis as unknown as {
          runStoreContract: () => Promise<{ name: string; ok: boolean; error?: string }[]>;
        }
      ).runStoreContract(),
    );
    expect(results.length).toBeGreaterThanOrEqual(13);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }, 120_000);
});
