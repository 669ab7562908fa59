/**
 * Loom in a real browser: Debian's Chromium (installed by `.ci/run`) driven by
 * playwright-core loads the example page (examples/browser/), which runs the engine in a Web
 * Worker; two prompts are sent at once and their greedy text must equal what the same
 * backend computes in Deno. Also: the bundle keeps Deno-only code out, and
 * `core/browser.ts` leaves out nothing else of `core/mod.ts`.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { type Backend, buildDemoModel, Engine, PagedCacheManager } from "@loom/core";
import * as core from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { WasmBackend } from "@loom/wasm";
import { FcfsScheduler } from "@loom/schedulers";
import * as coreBrowser from "../core/browser.ts";
import { buildBrowser, DENO_ONLY_MODULES } from "../scripts/build_browser.ts";
import { serveBrowserExample } from "../examples/browser/serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
/** WebGPU without a GPU: Chromium's Vulkan on SwiftShader. */
const WEBGPU_FLAGS = [
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader",
];
const PROMPTS = ["Hello", "Once upon a time"];
const MAX_TOKENS = 12;
const OUT = new URL("./.out/", import.meta.url);

/** Greedy replies to `PROMPTS`, sent at once, as the page's worker sends them. */
async function greedyInDeno(backend: Backend): Promise<string[]> {
  const engine = new Engine({
    model: await buildDemoModel(backend),
    cache: new PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
    scheduler: new FcfsScheduler(),
  });
  return await Promise.all(PROMPTS.map(async (p) => {
    let text = "";
    const stream = engine.chat([{ role: "user", content: p }], {
      maxTokens: MAX_TOKENS,
      temperature: 0,
      seed: 1,
    });
    for await (const d of stream) text += d.text;
    return text;
  }));
}

Deno.test("core/browser.ts exports all of core/mod.ts but Deno-only and server modules", async () => {
  const excluded = new Set<string>(["GgufFile"]);
  const others = [
    ...DENO_ONLY_MODULES.map((m) => `../${m}`),
    "../core/model/safetensors_writer.ts",
    "../core/model/test_model_hf.ts",
    ...[...Deno.readDirSync(new URL("../core/server/", import.meta.url))]
      .filter((e) => /^[a-z][a-z_]*\.ts$/.test(e.name) && !e.name.endsWith("_test.ts"))
      .map((e) => `../core/server/${e.name}`),
  ];
  for (const m of others) for (const k of Object.keys(await import(m))) excluded.add(k);
  const missing = Object.keys(core).filter((k) => !(k in coreBrowser) && !excluded.has(k));
  assert.deepEqual(missing, [], "add these modules to core/browser.ts (or to the excluded list)");
  assert.ok(!("GgufFile" in coreBrowser) && !("resolveModel" in coreBrowser));
});

/** Opens the page, waits for the model; returns the page and the errors it logs. */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', {
    timeout: 30_000,
  });
  assert.equal(await page.getAttribute("body", "data-state"), "ready", errors.join("\n"));
  return { page, errors };
}

/** Sends `PROMPTS` at once through the form; returns the streamed texts. */
async function sendPrompts(page: Page): Promise<string[]> {
  await page.fill("#prompts", PROMPTS.join("\n"));
  await page.fill("#max-tokens", String(MAX_TOKENS));
  await page.fill("#temperature", "0");
  await page.click("#send");
  const done =
    `document.querySelectorAll('.output[data-state="done"]').length === ${PROMPTS.length}`;
  await page.waitForFunction(done, undefined, { timeout: 30_000 });
  const metas = await page.$$eval(".output .meta", (els) => els.map((e) => e.textContent));
  for (const m of metas) assert.match(m ?? "", /TTFT \d+ ms · [\d.]+ tokens\/s · 12 tokens/);
  assert.match(await page.textContent("#stats") ?? "", /largest batch: 2 sequences/);
  return await page.$$eval(".output .text", (els) => els.map((e) => e.textContent ?? ""));
}

Deno.test({
  name: "browser: the example page streams two concurrent prompts, equal to Deno's greedy text",
  sanitizeOps: false, // playwright's pipes and child process outlive single ops
  sanitizeResources: false,
  async fn(t) {
    const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
    if (!hasChromium) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; ` +
          ".ci/run does it). This test never skips.",
      );
    }
    const server = await serveBrowserExample({ port: 0 });
    try {
      await t.step("WASM-SIMD threads in a cross-origin-isolated page", async () => {
        const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
        try {
          const { page, errors } = await openPage(browser, `${server.url}?threads=2`);
          assert.equal(await page.evaluate("crossOriginIsolated"), true);
          assert.equal(await page.getAttribute("body", "data-backend"), "wasm");
          const texts = await sendPrompts(page);
          assert.deepEqual(errors, []);
          await Deno.mkdir(OUT, { recursive: true });
          await page.screenshot({ path: new URL("browser.png", OUT).pathname, fullPage: true });
          const wasm = await WasmBackend.create({ numThreads: 2 });
          try {
            assert.deepEqual(texts, await greedyInDeno(wasm));
          } finally {
            wasm.dispose();
          }
          assert.ok(texts.every((s) => s.length > 0));
        } finally {
          await browser.close();
        }
      });

      await t.step("WebGPU on Chromium's software adapter (SwiftShader)", async () => {
        const browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: [...FLAGS.filter((f) => f !== "--disable-gpu"), ...WEBGPU_FLAGS],
        });
        try {
          const { page, errors } = await openPage(browser, `${server.url}?backend=webgpu`);
          assert.equal(await page.getAttribute("body", "data-backend"), "webgpu");
          const texts = await sendPrompts(page);
          assert.deepEqual(errors, []);
          assert.deepEqual(texts, await greedyInDeno(new ReferenceBackend()));
        } finally {
          await browser.close();
        }
      });
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test("the bundle runs in Deno too and matches the reference backend", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    const { path } = await buildBrowser({ outDir });
    const text = await Deno.readTextFile(path);
    assert.doesNotMatch(text, /Deno\.(serve|open|readFile|readTextFile|writeFile|readDir)\b/);
    const loom = await import(`file://${path}`);
    const backend = new loom.ReferenceBackend();
    const model = await loom.buildDemoModel(backend);
    const engine = new loom.Engine({
      model,
      cache: new loom.PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
      scheduler: new loom.FcfsScheduler(),
    });
    let got = "";
    const stream = engine.chat([{ role: "user", content: PROMPTS[0] }], {
      maxTokens: MAX_TOKENS,
      temperature: 0,
      seed: 1,
    });
    for await (const d of stream) got += d.text;
    assert.equal(got, (await greedyInDeno(new ReferenceBackend()))[0]);
    await assert.rejects(loom.Model.load("x.gguf", { backend }), { code: "browser_unsupported" });
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
