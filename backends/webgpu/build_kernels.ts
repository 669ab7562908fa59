/**
 * Embeds the WGSL kernels of `kernels/*.wgsl` in the generated module
 * `_kernels.generated.ts` (with a hash of the sources), so the backend ships as plain
 * TypeScript. `--check` rebuilds in memory and fails when the committed module is stale.
 *
 * ```sh
 * deno run --allow-read --allow-write backends/webgpu/build_kernels.ts         # rebuild
 * deno run --allow-read backends/webgpu/build_kernels.ts --check               # verify
 * ```
 *
 * @module
 */

const HERE = new URL(".", import.meta.url);

/** Where the kernel sources live. */
export const KERNELS_DIR: URL = new URL("kernels/", HERE);
/** The generated module. */
export const GENERATED_FILE: URL = new URL("_kernels.generated.ts", HERE);

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Escapes text for a template literal. */
function escapeTemplate(text: string): string {
  return text.replace(/[`\\]|\$\{/g, (m) => `\\${m}`);
}

/**
 * Reads every `*.wgsl` file of `dir` and returns the text of the generated module.
 *
 * @example
 * ```ts
 * import { generateKernelsModule } from "./build_kernels.ts";
 * const text = await generateKernelsModule();
 * console.log(text.startsWith("// @generated")); // true
 * ```
 */
export async function generateKernelsModule(dir: URL = KERNELS_DIR): Promise<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".wgsl")) names.push(e.name.slice(0, -".wgsl".length));
  }
  names.sort();
  const sources = new Map<string, string>();
  for (const name of names) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`kernel file name ${name}.wgsl`);
    const src = await Deno.readTextFile(new URL(`${name}.wgsl`, dir));
    sources.set(name, src.endsWith("\n") ? src : `${src}\n`);
  }
  const hash = await sha256Hex(names.map((n) => `${n}\n${sources.get(n)}`).join("\0"));
  const lines = [
    "// @generated — do not edit. Built by build_kernels.ts from kernels/*.wgsl",
    "// (`deno task build:kernels`).",
    "",
    "/** Names of the WGSL kernels (file names in kernels/ without `.wgsl`). */",
    `export type KernelName =\n${names.map((n) => `  | "${n}"`).join("\n")};`,
    "",
    "/** SHA-256 of the kernel sources this module was built from. */",
    `export const KERNELS_HASH = "${hash}";`,
    "",
    "/** WGSL source of every kernel. */",
    "export const KERNELS: Readonly<Record<KernelName, string>> = {",
    ...names.map((n) => `  ${n}: \`\n${escapeTemplate(sources.get(n)!)}\`,`),
    "};",
    "",
  ];
  return lines.join("\n");
}

async function main(args: string[]): Promise<number> {
  const text = await generateKernelsModule();
  if (args.includes("--check")) {
    let current = "";
    try {
      current = await Deno.readTextFile(GENERATED_FILE);
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error(
        `${GENERATED_FILE.pathname} is stale: run \`deno task build:kernels\` and commit it`,
      );
      return 1;
    }
    return 0;
  }
  await Deno.writeTextFile(GENERATED_FILE, text);
  console.log(`wrote ${GENERATED_FILE.pathname}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
