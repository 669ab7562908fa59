/**
 * `deno task build:browser`: bundles `browser/mod.ts` with esbuild into one ES module,
 * `dist/loom.js`, that a page or a Web Worker imports. The WASM kernels and WGSL shaders come
 * along (they are embedded in generated TypeScript modules); so does the WASM thread worker,
 * bundled first and started from a `blob:` URL. Deno-only code stays out: `@loom/core`
 * resolves to `core/browser.ts`, and the file-reading modules `core/model/model.ts` imports
 * are replaced by `browser/_deno_only.ts`. The build fails if `Deno.` is left in the bundle.
 *
 * Usage: `deno task build:browser [--out-dir DIR] [--no-minify]`
 *
 * @module
 */
import * as esbuild from "esbuild";
import { parseArgs } from "node:util";

/** The repository root, with a trailing slash. */
const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** `path` resolved against the folder `dir` ("." and ".." segments removed). */
function join(dir: string, path: string): string {
  const base = new URL(`file://${dir.endsWith("/") ? dir : `${dir}/`}`);
  return decodeURIComponent(new URL(path, base).pathname);
}

/** Core modules that read files or download: replaced in the bundle. */
export const DENO_ONLY_MODULES: readonly string[] = [
  "core/model/hub.ts",
  "core/model/model_info.ts",
  "core/model/gguf_split.ts",
  "core/model/safetensors.ts",
];

/** `Deno.*` uses allowed to remain in the bundle: none (file access lives in the stubs). */
export const ALLOWED_DENO_USES: readonly string[] = [];

/** Where each `@loom/*` specifier points in the bundle. */
const MEMBERS: Readonly<Record<string, string>> = {
  "@loom/core": "core/browser.ts",
  "@loom/reference": "backends/reference/mod.ts",
  "@loom/wasm": "backends/wasm/mod.ts",
  "@loom/webgpu": "backends/webgpu/mod.ts",
  "@loom/schedulers": "schedulers/mod.ts",
};

/** The expression `_threads.ts` starts its workers from (replaced by a `blob:` URL). */
const WORKER_URL_RE = /new URL\(\s*"\.\/_worker\.ts",\s*import\.meta\.url\s*\)\.href/g;

/** Options of {@linkcode buildBrowser}. */
export interface BuildBrowserOptions {
  /** Output folder (default `dist/` in the repository). */
  readonly outDir?: string;
  /** Minify whitespace and syntax, keeping names (default true). */
  readonly minify?: boolean;
}

/** What {@linkcode buildBrowser} wrote. */
export interface BuildBrowserResult {
  /** Path of the bundle (`<outDir>/loom.js`). */
  readonly path: string;
  /** Its size in bytes. */
  readonly numBytes: number;
  /** Size of the inlined WASM thread worker in bytes. */
  readonly numWorkerBytes: number;
}

/** Resolves `@loom/*` to the member sources and swaps Deno-only core modules for stubs. */
function loomPlugin(workerSource: string | undefined): esbuild.Plugin {
  const stub = join(ROOT, "browser/_deno_only.ts");
  const denoOnly = new Set(DENO_ONLY_MODULES.map((m) => join(ROOT, m)));
  return {
    name: "loom-browser",
    setup(build) {
      build.onResolve({ filter: /^@loom\// }, (args) => {
        const target = MEMBERS[args.path];
        if (!target) return { errors: [{ text: `no browser entry for ${args.path}` }] };
        return { path: join(ROOT, target) };
      });
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const path = join(args.resolveDir, args.path);
        return denoOnly.has(path) ? { path: stub } : undefined;
      });
      if (workerSource === undefined) return;
      build.onLoad({ filter: /backends\/wasm\/_threads\.ts$/ }, async (args) => {
        const text = await Deno.readTextFile(args.path);
        if (!WORKER_URL_RE.test(text)) {
          return { errors: [{ text: "backends/wasm/_threads.ts no longer starts ./_worker.ts" }] };
        }
        const blob = "(globalThis.__loomWasmWorkerUrl ??= URL.createObjectURL(new Blob(" +
          `[${JSON.stringify(workerSource)}], { type: "text/javascript" })))`;
        return { contents: text.replace(WORKER_URL_RE, blob), loader: "ts" };
      });
    },
  };
}

const COMMON: esbuild.BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  legalComments: "none",
  keepNames: true, // error classes name themselves with new.target.name
  logLevel: "silent",
};

/** Makes sure the npm packages core imports are in node_modules/ (esbuild reads them there). */
async function ensureNpmPackages(): Promise<void> {
  const have = await Deno.stat(join(ROOT, "node_modules/@huggingface/jinja")).then(
    () => true,
    () => false,
  );
  if (have) return;
  const { success } = await new Deno.Command(Deno.execPath(), { args: ["install"], cwd: ROOT })
    .output();
  if (!success) throw new Error("`deno install` failed: cannot bundle the npm packages");
}

/**
 * Builds `loom.js`. Stops esbuild's service before returning (so tests leak nothing).
 *
 * @example
 * ```ts ignore
 * import { buildBrowser } from "./build_browser.ts";
 * const { path, numBytes } = await buildBrowser({ outDir: "dist" });
 * console.log(path, numBytes > 0); // "dist/loom.js" true
 * ```
 */
export async function buildBrowser(options: BuildBrowserOptions = {}): Promise<BuildBrowserResult> {
  const outDir = options.outDir ?? join(ROOT, "dist");
  const minify = options.minify ?? true;
  await ensureNpmPackages();
  try {
    const worker = await esbuild.build({
      ...COMMON,
      minify,
      entryPoints: [join(ROOT, "backends/wasm/_worker.ts")],
      plugins: [loomPlugin(undefined)],
    });
    const workerSource = worker.outputFiles![0]!.text;
    const main = await esbuild.build({
      ...COMMON,
      minifyWhitespace: minify,
      minifySyntax: minify,
      entryPoints: [join(ROOT, "browser/mod.ts")],
      plugins: [loomPlugin(workerSource)],
    });
    const text = main.outputFiles![0]!.text;
    const leaks = [...new Set(text.match(/\bDeno\.\w+/g) ?? [])].filter(
      (use) => !ALLOWED_DENO_USES.includes(use),
    );
    if (leaks.length > 0) throw new Error(`the browser bundle uses ${leaks.join(", ")}`);
    const path = join(outDir, "loom.js");
    await Deno.mkdir(outDir, { recursive: true });
    await Deno.writeTextFile(path, text);
    return {
      path,
      numBytes: new TextEncoder().encode(text).length,
      numWorkerBytes: workerSource.length,
    };
  } finally {
    await esbuild.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { "out-dir": { type: "string" }, "no-minify": { type: "boolean", default: false } },
  });
  const r = await buildBrowser({
    ...(values["out-dir"] ? { outDir: values["out-dir"] } : {}),
    minify: !values["no-minify"],
  });
  console.log(`${r.path}: ${(r.numBytes / 1024).toFixed(0)} KiB`);
}
