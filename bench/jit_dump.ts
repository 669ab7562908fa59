/**
 * Disassembles the machine code V8 generated for the WASM kernels, to see what a kernel's
 * inner loop became (spills, bounds checks, which instruction a relaxed-SIMD op lowered to).
 *
 * ```sh
 * # 1. run anything with V8's jitdump output (writes jit-<pid>.dump to the working directory)
 * deno run -A --v8-flags=--perf-prof,--perf-prof-annotate-wasm bench/kernels.ts --dtypes q4_0
 * # 2. the kernel's function index: its position among the module's exports
 * deno run -A bench/jit_dump.ts --exports
 * # 3. disassemble (needs binutils' objdump)
 * deno run -A bench/jit_dump.ts jit-1234.dump "wasm-function[20]-20-turbofan" > k_matmul_q8.s
 * ```
 *
 * With `perf record -k 1` around step 1 and `perf inject --jit`, `perf annotate` shows where the
 * samples fall in the same code.
 *
 * @module
 */
import { RELAXED_WASM_BASE64 } from "../backends/wasm/_kernels.generated.ts";

/**
 * Function index → export name of the relaxed-SIMD kernel module.
 *
 * @example
 * ```ts
 * import { kernelExports } from "./jit_dump.ts";
 * console.log([...kernelExports().values()].includes("k_matmul_q8")); // true
 * ```
 */
export function kernelExports(): Map<number, string> {
  const b = Uint8Array.from(atob(RELAXED_WASM_BASE64), (c) => c.charCodeAt(0));
  let p = 8;
  const leb = () => {
    let r = 0, shift = 0, x;
    do {
      x = b[p++]!;
      r |= (x & 0x7f) << shift;
      shift += 7;
    } while (x & 0x80);
    return r >>> 0;
  };
  const out = new Map<number, string>();
  while (p < b.length) {
    const id = b[p++]!, size = leb(), end = p + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb(), name = new TextDecoder().decode(b.subarray(p, p + len));
        p += len;
        const kind = b[p++]!, index = leb();
        if (kind === 0) out.set(index, name);
      }
    }
    p = end;
  }
  return out;
}

/**
 * The code of every JIT_CODE_LOAD record of a jitdump file whose name contains `pattern`.
 *
 * @example
 * ```ts ignore
 * import { jitCode } from "./jit_dump.ts";
 * const dump = await Deno.readFile("jit-1234.dump");
 * for (const f of jitCode(dump, "turbofan")) console.log(f.name, f.code.length);
 * ```
 */
export function jitCode(dump: Uint8Array, pattern: string): { name: string; code: Uint8Array }[] {
  const v = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  const found: { name: string; code: Uint8Array }[] = [];
  let off = v.getUint32(8, true); // header size
  while (off + 16 <= dump.length) {
    const id = v.getUint32(off, true), total = v.getUint32(off + 4, true);
    if (total === 0) break;
    if (id === 0) { // JIT_CODE_LOAD: pid, tid, vma, code_addr, code_size, code_index, name, code
      const size = Number(v.getBigUint64(off + 16 + 8 + 16, true));
      const nameStart = off + 16 + 40, nameEnd = dump.indexOf(0, nameStart);
      const name = new TextDecoder().decode(dump.subarray(nameStart, nameEnd));
      if (name.includes(pattern)) {
        found.push({ name, code: dump.slice(nameEnd + 1, nameEnd + 1 + size) });
      }
    }
    off += total;
  }
  return found;
}

if (import.meta.main) {
  if (Deno.args[0] === "--exports") {
    for (const [index, name] of kernelExports()) console.log(`wasm-function[${index}] ${name}`);
  } else {
    const [path, pattern] = Deno.args;
    if (!path || !pattern) throw new Error("usage: jit_dump.ts DUMP PATTERN | --exports");
    for (const { name, code } of jitCode(await Deno.readFile(path), pattern)) {
      const tmp = await Deno.makeTempFile({ suffix: ".bin" });
      await Deno.writeFile(tmp, code);
      const out = await new Deno.Command("objdump", {
        args: ["-D", "-b", "binary", "-mi386:x86-64", tmp],
      }).output();
      await Deno.remove(tmp);
      console.log(`# ${name}: ${code.length} bytes\n${new TextDecoder().decode(out.stdout)}`);
    }
  }
}
