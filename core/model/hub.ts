/**
 * Models from the Hugging Face hub: `resolveModel("hf:ORG/REPO[@REVISION][/FILE]")` downloads
 * what Loom needs into the hub cache (the layout `huggingface_hub` uses, shared with Python
 * tools) and returns a local path; a local path is returned as it is.
 *
 * Downloads resume (`.incomplete` files and HTTP Range), `HF_TOKEN` authenticates,
 * `HF_ENDPOINT` picks a mirror, `HF_HUB_OFFLINE=1` serves from the cache only, and a
 * progress bar appears on stderr when it is a terminal. Plain `fetch`: `@huggingface/hub`'s
 * cache download names snapshots after each file's last commit instead of the revision's,
 * writes no refs, and neither resumes nor works offline.
 *
 * @module
 */
import { InvalidParameterError } from "../errors.ts";
import { COMMIT_RE, defaultCacheDir, isFile, isSafeRepoPath, RepoCache } from "./_hub_cache.ts";
import { HubError, HubNotFoundError, HubOfflineError } from "./_hub_errors.ts";
import { download, headFile, type HubHttp, listRepo } from "./_hub_http.ts";
import { ProgressBar } from "./_hub_progress.ts";

export { HubAuthError, HubError, HubNotFoundError, HubOfflineError } from "./_hub_errors.ts";
export type { HubErrorWhere } from "./_hub_errors.ts";

/** Progress of one file's download. */
export interface DownloadProgress {
  /** `ORG/REPO`. */
  readonly repo: string;
  /** The file. */
  readonly file: string;
  /** Bytes on disk so far (resumed bytes included). */
  readonly receivedBytes: number;
  /** The file's size, when the server said. */
  readonly totalBytes: number | undefined;
}

/** Options of {@linkcode resolveModel}; each defaults to its environment variable. */
export interface ResolveModelOptions {
  /** Cache folder (default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`). */
  readonly cacheDir?: string;
  /** Hub address (default `$HF_ENDPOINT` or `https://huggingface.co`). */
  readonly endpoint?: string;
  /** Access token (default `$HF_TOKEN`). */
  readonly token?: string;
  /** Use the cache only (default: `$HF_HUB_OFFLINE` is `1`, `true`, `yes` or `on`). */
  readonly offline?: boolean;
  /** GGUF quantization to pick in a repository of several (default Q4_K_M, then Q8_0). */
  readonly quant?: string;
  /** Draw a progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /** Called as bytes arrive. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Cancels downloads (they resume next time). */
  readonly signal?: AbortSignal;
  /** Retries after network errors and interruptions (default 5). */
  readonly maxRetries?: number;
  /** First retry delay in ms, doubling (default 1000). */
  readonly retryDelayMs?: number;
  /** fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** A parsed `hf:` model reference. */
export interface HfSpec {
  /** `ORG/REPO`. */
  readonly repo: string;
  /** Branch, tag or commit (default `main`). */
  readonly revision: string;
  /** One file in the repository, when given. */
  readonly file: string | undefined;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses `hf:ORG/REPO[@REVISION][/FILE]` (a revision with slashes, like `refs/pr/1`, is
 * written URL-encoded: `refs%2Fpr%2F1`).
 *
 * @example
 * ```ts
 * import { parseHfSpec } from "@loom/core";
 * console.log(parseHfSpec("hf:Qwen/Qwen3-0.6B-GGUF@v1/Qwen3-0.6B-Q8_0.gguf"));
 * // { repo: "Qwen/Qwen3-0.6B-GGUF", revision: "v1", file: "Qwen3-0.6B-Q8_0.gguf" }
 * ```
 */
export function parseHfSpec(spec: string): HfSpec {
  const bad = (why: string) => new InvalidParameterError("model", `${spec}: ${why}`);
  if (!spec.startsWith("hf:")) throw bad("expected hf:ORG/REPO[@REVISION][/FILE]");
  const [org, repoPart, ...rest] = spec.slice(3).split("/");
  if (!org || !repoPart) throw bad("expected hf:ORG/REPO[@REVISION][/FILE]");
  const at = repoPart.indexOf("@");
  const name = at < 0 ? repoPart : repoPart.slice(0, at);
  let revision = "main";
  if (at >= 0) {
    try {
      revision = decodeURIComponent(repoPart.slice(at + 1));
    } catch {
      throw bad("bad revision");
    }
  }
  if (!NAME_RE.test(org) || !NAME_RE.test(name) || `${org}/${name}`.includes("--")) {
    throw bad("bad repository name");
  }
  if (!isSafeRepoPath(revision)) throw bad("bad revision");
  const file = rest.length > 0 ? rest.join("/") : undefined;
  if (file !== undefined && !isSafeRepoPath(file)) throw bad("bad file path");
  return { repo: `${org}/${name}`, revision, file };
}

/**
 * The hub cache folder Loom uses by default (the same as `huggingface_hub`'s).
 *
 * @example
 * ```ts
 * import { hubCacheDir } from "@loom/core";
 * console.log(hubCacheDir().endsWith("hub")); // true
 * ```
 */
export function hubCacheDir(): string {
  return defaultCacheDir();
}

interface Ctx {
  readonly http: HubHttp;
  readonly root: string;
  readonly offline: boolean;
  readonly options: ResolveModelOptions;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function context(options: ResolveModelOptions): Ctx {
  const offlineEnv = (env("HF_HUB_OFFLINE") ?? "").toLowerCase();
  return {
    http: {
      endpoint: (options.endpoint ?? env("HF_ENDPOINT") ?? "https://huggingface.co").replace(
        /\/+$/,
        "",
      ),
      token: options.token ?? env("HF_TOKEN"),
      fetch: options.fetch ?? globalThis.fetch,
      signal: options.signal,
      maxRetries: options.maxRetries ?? 5,
      retryDelayMs: options.retryDelayMs ?? 1000,
    },
    root: options.cacheDir ?? defaultCacheDir(),
    offline: options.offline ?? ["1", "true", "yes", "on"].includes(offlineEnv),
    options,
  };
}

/** A network failure (not a refusal by the hub): the cache may answer instead. */
function isUnreachable(e: unknown): boolean {
  return e instanceof HubError && e.status === undefined;
}

function notCached(ctx: Ctx, repo: string, revision: string, file?: string): HubOfflineError {
  const what = file ? `${repo}@${revision}/${file}` : `${repo}@${revision}`;
  return new HubOfflineError(`offline mode: ${what} is not in the cache ${ctx.root}`, {
    repo,
    file,
  });
}

function progressReporter(ctx: Ctx, repo: string, file: string, totalBytes: number | undefined) {
  const draw = ctx.options.progress ?? safeIsTerminal();
  const encoder = new TextEncoder();
  let bar: ProgressBar | undefined;
  let last = 0;
  return {
    onBytes(receivedBytes: number, startBytes: number) {
      last = receivedBytes;
      if (draw) {
        bar ??= new ProgressBar(
          file,
          totalBytes,
          startBytes,
          (s) => Deno.stderr.writeSync(encoder.encode(s)),
        );
        bar.update(receivedBytes);
      }
      ctx.options.onProgress?.({ repo, file, receivedBytes, totalBytes });
    },
    finish() {
      bar?.finish(last);
    },
  };
}

function safeIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** One file into the cache; returns its snapshot path. */
async function fetchFile(ctx: Ctx, repo: string, revision: string, file: string): Promise<string> {
  const cache = new RepoCache(ctx.root, repo);
  if (COMMIT_RE.test(revision) || ctx.offline) {
    const hit = await cache.cached(revision, file);
    if (hit) return hit;
    if (ctx.offline) throw notCached(ctx, repo, revision, file);
  }
  let meta;
  try {
    meta = await headFile(ctx.http, repo, revision, file);
  } catch (e) {
    const hit = isUnreachable(e) ? await cache.cached(revision, file) : undefined;
    if (hit) return hit;
    throw e;
  }
  await cache.writeRef(revision, meta.commit);
  const pointer = cache.snapshot(meta.commit, file);
  if (await isFile(pointer)) return pointer;
  const blob = cache.blob(meta.etag);
  await Deno.mkdir(`${cache.dir}/blobs`, { recursive: true });
  await cache.withBlobLock(meta.etag, async () => {
    if (await isFile(blob)) return; // another process fetched it meanwhile
    const progress = progressReporter(ctx, repo, file, meta.size);
    try {
      await download(ctx.http, meta, `${blob}.incomplete`, { repo, file }, progress.onBytes);
    } finally {
      progress.finish();
    }
    await Deno.rename(`${blob}.incomplete`, blob);
  });
  return await cache.link(meta.commit, file, meta.etag);
}

/** Tokenizer and config files fetched beside safetensors weights, when the repo has them. */
const SIDE_FILES = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];
const PREFERRED_QUANTS = ["Q4_K_M", "Q8_0"];

function quantRe(quant: string): RegExp {
  return new RegExp(`(^|[-._])${quant.replace(/[^A-Za-z0-9_]/g, "")}([-._]|$)`, "i");
}

/** What to fetch from a repository's file list. */
function choose(
  repo: string,
  files: readonly string[],
  quant: string | undefined,
): { gguf: string } | { safetensors: string[] } {
  const ggufs = files.filter((f) => f.endsWith(".gguf") && !/mmproj/i.test(f));
  const single = ggufs.filter((f) => !/-\d{5}-of-\d{5}\.gguf$/.test(f)).sort();
  if (ggufs.length > 0 || quant) {
    const base = (f: string) => f.slice(f.lastIndexOf("/") + 1);
    for (const q of quant ? [quant] : PREFERRED_QUANTS) {
      const hit = single.find((f) => quantRe(q).test(base(f)));
      if (hit) return { gguf: hit };
    }
    if (!quant && single.length > 0) return { gguf: single[0]! };
    throw new HubNotFoundError(
      "file",
      `${repo} has no ${quant ? `${quant} ` : "single-file "}GGUF (GGUF files: ${
        ggufs.join(", ") || "none"
      }); name one as hf:${repo}/FILE`,
      { repo },
    );
  }
  const top = files.filter((f) => !f.includes("/"));
  if (!top.includes("config.json")) {
    throw new HubNotFoundError("file", `${repo} has neither GGUF files nor config.json`, { repo });
  }
  const index = "model.safetensors.index.json";
  const weights = top.includes(index)
    ? [index]
    : top.includes("model.safetensors")
    ? ["model.safetensors"]
    : top.filter((f) => f.endsWith(".safetensors"));
  if (weights.length === 0) {
    throw new HubNotFoundError("file", `${repo} has no .safetensors weights`, { repo });
  }
  return { safetensors: ["config.json", ...SIDE_FILES.filter((f) => top.includes(f)), ...weights] };
}

async function shardsOf(indexPath: string, repo: string): Promise<string[]> {
  try {
    const index = JSON.parse(await Deno.readTextFile(indexPath));
    const files = [...new Set(Object.values(index.weight_map ?? {}))];
    if (files.length === 0 || !files.every((f) => typeof f === "string" && isSafeRepoPath(f))) {
      throw new Error("bad weight_map");
    }
    return (files as string[]).sort();
  } catch (e) {
    throw new HubError(`bad model.safetensors.index.json: ${(e as Error).message}`, {
      repo,
      file: "model.safetensors.index.json",
    });
  }
}

/** A whole model from a repository; returns the GGUF file or the snapshot folder. */
async function fetchRepo(ctx: Ctx, repo: string, revision: string): Promise<string> {
  const cache = new RepoCache(ctx.root, repo);
  let listing: { commit: string | undefined; files: string[] } | undefined;
  if (!ctx.offline) {
    try {
      listing = await listRepo(ctx.http, repo, revision);
    } catch (e) {
      if (!isUnreachable(e) || !(await cache.commitFor(revision))) throw e;
    }
  }
  let rev = revision;
  if (listing?.commit) {
    await cache.writeRef(revision, listing.commit);
    rev = listing.commit;
  }
  if (!listing) {
    const commit = await cache.commitFor(revision);
    if (!commit) throw notCached(ctx, repo, revision);
    rev = commit;
  }
  const files = listing?.files ?? await cache.list(rev);
  const choice = choose(repo, files, ctx.options.quant);
  if ("gguf" in choice) return await fetchFile(ctx, repo, rev, choice.gguf);
  let folder = "";
  for (const file of choice.safetensors) {
    const path = await fetchFile(ctx, repo, rev, file);
    if (file === "config.json") folder = path.slice(0, -"/config.json".length);
    if (file.endsWith(".index.json")) {
      for (const shard of await shardsOf(path, repo)) await fetchFile(ctx, repo, rev, shard);
    }
  }
  return folder;
}

/**
 * Downloads one file of a hub repository into the cache (or finds it there) and returns its
 * local path.
 *
 * @example
 * ```ts ignore
 * import { downloadHubFile } from "@loom/core";
 * const path = await downloadHubFile("Qwen/Qwen3-0.6B", "tokenizer.json");
 * ```
 */
export async function downloadHubFile(
  repo: string,
  file: string,
  options: ResolveModelOptions & { readonly revision?: string } = {},
): Promise<string> {
  const spec = parseHfSpec(`hf:${repo}@${encodeURIComponent(options.revision ?? "main")}/${file}`);
  return await fetchFile(context(options), spec.repo, spec.revision, spec.file!);
}

/**
 * Turns a model reference into a local path. A local file or folder is returned as given;
 * `hf:ORG/REPO[@REVISION]/FILE` fetches that file; `hf:ORG/REPO[@REVISION]` fetches one GGUF
 * (Q4_K_M, else Q8_0, else the `quant` option's) when the repository has GGUF files, else
 * `config.json`, the tokenizer files and the safetensors weights, and returns their folder.
 *
 * @example
 * ```ts ignore
 * import { resolveModel } from "@loom/core";
 * const path = await resolveModel("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF", { quant: "Q8_0" });
 * ```
 */
export async function resolveModel(
  spec: string,
  options: ResolveModelOptions = {},
): Promise<string> {
  if (!spec.startsWith("hf:")) {
    try {
      await Deno.stat(spec);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new InvalidParameterError("model", `no such file or folder: ${spec}`);
      }
      throw e;
    }
    return spec;
  }
  const { repo, revision, file } = parseHfSpec(spec);
  const ctx = context(options);
  return file ? await fetchFile(ctx, repo, revision, file) : await fetchRepo(ctx, repo, revision);
}
