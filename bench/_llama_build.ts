/**
 * Builds llama.cpp's `llama-server` (and `llama-bench`) once from the llama.cpp source that
 * node-llama-cpp ships as a git bundle (`node_modules/node-llama-cpp/llama/gitRelease.bundle`,
 * cloned offline), with cmake and the system C++ compiler (Debian: `apt-get install cmake
 * build-essential`), into the ignored folder `bench/peers/.llama.cpp/`. About 20 minutes on
 * 2 cores; CPU only, tuned for this machine (`GGML_NATIVE`).
 *
 * ```sh
 * deno task bench:llama-server     # after the npm install in bench/peers
 * ```
 *
 * @module
 */

const PEERS = new URL("./peers/", import.meta.url).pathname;
const SRC = `${PEERS}.llama.cpp`;
const BUNDLE = `${PEERS}node_modules/node-llama-cpp/llama/gitRelease.bundle`;

/**
 * Path of the built `llama-server` (or `llama-bench`); throws with the command that builds
 * it when missing.
 *
 * @example
 * ```ts
 * import { llamaServerPath } from "./_llama_build.ts";
 * try {
 *   console.log((await llamaServerPath()).endsWith("llama-server")); // true
 * } catch (e) {
 *   console.log((e as Error).message.includes("bench:llama-server")); // true
 * }
 * ```
 */
export async function llamaServerPath(name = "llama-server"): Promise<string> {
  const path = `${SRC}/build/bin/${name}`;
  try {
    await Deno.stat(path);
    return path;
  } catch {
    throw new Error(`${path} is not built: run deno task bench:llama-server`);
  }
}

async function sh(cmd: string, args: string[], cwd = PEERS): Promise<void> {
  console.error(`$ ${cmd} ${args.join(" ")}`);
  const status = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" })
    .output();
  if (!status.success) throw new Error(`${cmd} failed with exit code ${status.code}`);
}

/** Clones the bundle and builds the binaries (skips what is there). */
export async function buildLlamaServer(numJobs = navigator.hardwareConcurrency): Promise<string> {
  try {
    await Deno.stat(`${SRC}/CMakeLists.txt`);
  } catch {
    await sh("git", ["clone", "--quiet", BUNDLE, SRC]);
  }
  await sh("cmake", [
    "-S",
    SRC,
    "-B",
    `${SRC}/build`,
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=ON",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_APP=OFF",
  ]);
  await sh("cmake", [
    "--build",
    `${SRC}/build`,
    "--target",
    "llama-server",
    "llama-bench",
    "llama-batched-bench",
    `-j${numJobs}`,
  ]);
  return await llamaServerPath();
}

if (import.meta.main) console.log(await buildLlamaServer());
