/**
 * Builds the WASM kernels: compiles `_src/*.c` with clang ≥ 19 for wasm32 twice (SIMD128,
 * and SIMD128 + relaxed SIMD; the hand-written assembly `_src/*.relaxed.s` is linked into the
 * relaxed build only) and writes `_kernels.generated.ts`, which holds both modules in base64
 * with the sha256 of the sources and flags they came from.
 *
 * ```sh
 * deno run -A backends/wasm/build.ts          # rebuild (needs clang ≥ 19 and wasm-ld)
 * deno run -A backends/wasm/build.ts --check  # fail when the generated file is stale
 * ```
 *
 * `--check` needs no compiler: it recomputes the source hash and the hashes of the embedded
 * bytes. When a clang of the version recorded in the generated file is found, it also
 * rebuilds and compares the bytes (the build is deterministic: no debug info, names or
 * producer sections, sources in sorted order); `--rebuild` makes that comparison mandatory.
 * The compiler is `$LOOM_CLANG`, else the first of clang-19, clang-20, clang-21, clang.
 *
 * @module
 */

const HERE = new URL(".", import.meta.url);
const SRC = new URL("_src/", HERE);
const OUT = new URL("_kernels.generated.ts", HERE);

/** Flags of both builds; part of the source hash. */
const COMMON_FLAGS = [
  "--target=wasm32",
  "-O3",
  "-msimd128",
  "-mbulk-memory",
  "-matomics",
  "-ffreestanding",
  "-nostdlib",
  "-fno-builtin",
  "-g0",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-Wno-unused-function",
];
const VARIANTS = {
  simd: [] as string[],
  relaxed: ["-mrelaxed-simd", "-DLOOM_RELAXED"],
};
/** Flags for the hand-written assembly (`*.relaxed.s`), relaxed build only. */
const ASM_FLAGS = ["--target=wasm32", "-msimd128", "-mrelaxed-simd", "-mbulk-memory", "-matomics"];
/** 64 KiB stack for the calling thread; workers get their own (see _threads.ts). */
const LINK_FLAGS = [
  "-Wl,--no-entry",
  "-Wl,--import-memory",
  "-Wl,--shared-memory",
  "-Wl,--max-memory=4294967296",
  "-Wl,--stack-first",
  "-Wl,-z,stack-size=65536",
  "-Wl,--export=__stack_pointer",
  "-Wl,--export=__heap_base",
  "-Wl,--strip-all",
];

async function sha256(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sources(): Promise<{ name: string; text: string }[]> {
  const files: { name: string; text: string }[] = [];
  for await (const e of Deno.readDir(SRC)) {
    if (e.isFile && /\.[chs]$/.test(e.name)) {
      files.push({ name: e.name, text: await Deno.readTextFile(new URL(e.name, SRC)) });
    }
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function sourceHash(): Promise<string> {
  const parts = [JSON.stringify({ COMMON_FLAGS, VARIANTS, ASM_FLAGS, LINK_FLAGS })];
  for (const f of await sources()) parts.push(`${f.name}\0${f.text}\0`);
  return await sha256(parts.join("\n"));
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** The clang to use and its version line, or undefined when none ≥ 19 is installed. */
async function findClang(): Promise<{ cmd: string; version: string } | undefined> {
  const env = Deno.env.get("LOOM_CLANG");
  for (const cmd of env ? [env] : ["clang-19", "clang-20", "clang-21", "clang"]) {
    try {
      const text = await run(cmd, ["--version"]);
      const m = /clang version (\d+)\.(\d+)\.(\d+)/.exec(text);
      if (m && Number(m[1]) >= 19) return { cmd, version: m[0] };
    } catch {
      // not installed; try the next
    }
  }
  return undefined;
}

async function compile(clang: string, variant: keyof typeof VARIANTS): Promise<Uint8Array> {
  const tmp = await Deno.makeTempDir({ prefix: "loom-wasm-" });
  try {
    const objs: string[] = [];
    for (const f of await sources()) {
      // `name.relaxed.s`: hand-written WebAssembly assembly, linked into the relaxed build only
      const asm = f.name.endsWith(".relaxed.s");
      if (!f.name.endsWith(".c") && !(asm && variant === "relaxed")) continue;
      const obj = `${tmp}/${f.name.replace(/\.(c|s)$/, ".o")}`;
      const src = new URL(f.name, SRC).pathname;
      const flags = asm ? ASM_FLAGS : [...COMMON_FLAGS, ...VARIANTS[variant]];
      await run(clang, [...flags, "-c", src, "-o", obj]);
      objs.push(obj);
    }
    const wasm = `${tmp}/${variant}.wasm`;
    await run(clang, [...COMMON_FLAGS, ...VARIANTS[variant], ...LINK_FLAGS, ...objs, "-o", wasm]);
    return await Deno.readFile(wasm);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function build(clang: { cmd: string; version: string }) {
  const simd = await compile(clang.cmd, "simd");
  const relaxed = await compile(clang.cmd, "relaxed");
  return { simd, relaxed };
}

async function render(hash: string, clangVersion: string, simd: Uint8Array, relaxed: Uint8Array) {
  return `// @generated — do not edit. Rebuild with \`deno task build:wasm\` (backends/wasm/build.ts).
// Built by ${clangVersion} from backends/wasm/_src/.

/** sha256 of the kernel sources and build flags. */
export const SOURCE_HASH = "${hash}";
/** The compiler that built the bytes below. */
export const CLANG_VERSION = "${clangVersion}";
/** sha256 of each build's wasm bytes. */
export const WASM_SHA256 = {
  simd: "${await sha256(simd)}",
  relaxed: "${await sha256(relaxed)}",
};
/** The SIMD128 build, base64. */
export const SIMD_WASM_BASE64 =
  "${encodeBase64(simd)}";
/** The SIMD128 + relaxed-SIMD build, base64. */
export const RELAXED_WASM_BASE64 =
  "${encodeBase64(relaxed)}";
`;
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`${name}\\s*=\\s*"([^"]*)"`).exec(text)?.[1] ??
    new RegExp(`${name}:\\s*"([^"]*)"`).exec(text)?.[1];
}

function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function decode(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function check(requireRebuild: boolean): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(OUT);
  } catch {
    console.error("backends/wasm/_kernels.generated.ts is missing: run `deno task build:wasm`");
    return false;
  }
  const hash = await sourceHash();
  if (field(text, "SOURCE_HASH") !== hash) {
    console.error(
      "backends/wasm/_kernels.generated.ts is stale (sources or flags changed): " +
        "run `deno task build:wasm` and commit the result",
    );
    return false;
  }
  const simd = decode(field(text, "SIMD_WASM_BASE64") ?? "");
  const relaxed = decode(field(text, "RELAXED_WASM_BASE64") ?? "");
  if (
    (await sha256(simd)) !== field(text, "simd") ||
    (await sha256(relaxed)) !== field(text, "relaxed")
  ) {
    console.error("backends/wasm/_kernels.generated.ts was edited: its bytes do not match");
    return false;
  }
  const clang = await findClang();
  const recorded = field(text, "CLANG_VERSION");
  if (clang && clang.version === recorded) {
    const built = await build(clang);
    const same = (a: Uint8Array, b: Uint8Array) =>
      a.length === b.length && a.every((v, i) => v === b[i]);
    if (!same(built.simd, simd) || !same(built.relaxed, relaxed)) {
      console.error(`rebuilding with ${clang.version} gives different bytes: rebuild and commit`);
      return false;
    }
    console.log(`wasm kernels up to date (hash checked, rebuilt with ${clang.version})`);
  } else if (requireRebuild) {
    console.error(`--rebuild needs ${recorded}; found ${clang?.version ?? "no clang ≥ 19"}`);
    return false;
  } else {
    console.log(`wasm kernels up to date (hash checked; ${recorded} not found, bytes not rebuilt)`);
  }
  return true;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    if (!(await check(Deno.args.includes("--rebuild")))) Deno.exit(1);
  } else {
    const clang = await findClang();
    if (!clang) {
      console.error(
        "no clang ≥ 19 found: apt-get install clang-19 lld-19, or set LOOM_CLANG",
      );
      Deno.exit(1);
    }
    const { simd, relaxed } = await build(clang);
    await Deno.writeTextFile(OUT, await render(await sourceHash(), clang.version, simd, relaxed));
    console.log(
      `wrote ${new URL(OUT).pathname} (simd ${simd.length} B, relaxed ${relaxed.length} B)`,
    );
  }
}
