/**
 * The hub's HTTP side: file metadata (`HEAD {endpoint}/{repo}/resolve/{revision}/{file}`),
 * repository listings (`GET {endpoint}/api/models/{repo}/revision/{revision}`) and
 * resumable downloads (`Range: bytes=N-` onto an `.incomplete` file), with retries.
 *
 * @module
 */
import { AbortedError } from "../errors.ts";
import { isSafeComponent, isSafeRepoPath } from "./_hub_cache.ts";
import { HubAuthError, HubError, HubNotFoundError } from "./_hub_errors.ts";

/** Connection settings. */
export interface HubHttp {
  /** e.g. `https://huggingface.co` (no trailing slash). */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer …` to the endpoint's origin only. */
  readonly token: string | undefined;
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal | undefined;
  /** Retries after a network error, an interrupted body, HTTP 429 or 5xx. */
  readonly maxRetries: number;
  /** First retry delay; doubles each time. */
  readonly retryDelayMs: number;
}

/** What `HEAD …/resolve/…` says about a file. */
export interface FileMetadata {
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  readonly commit: string;
  /** The blob's name: `X-Linked-Etag` (LFS sha256) or `ETag` (git sha1), unquoted. */
  readonly etag: string;
  /** Bytes (`X-Linked-Size` or `Content-Length`), when sent. */
  readonly size: number | undefined;
  /** Where to GET the bytes (the CDN for LFS files). */
  readonly location: string;
}

const enc = (s: string) => s.split("/").map(encodeURIComponent).join("/");

/** `{endpoint}/{repo}/resolve/{revision}/{file}`. */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${enc(file)}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(id);
      reject(new AbortedError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The endpoint itself, or the public hub over https: the only places the token goes. */
function isHub(h: HubHttp, url: URL): boolean {
  return url.origin === new URL(h.endpoint).origin ||
    (url.protocol === "https:" && (url.hostname === "huggingface.co" || url.hostname === "hf.co"));
}

function headers(h: HubHttp, url: string, extra: Record<string, string> = {}): Headers {
  const out = new Headers({ "accept-encoding": "identity", "user-agent": "loom", ...extra });
  if (h.token && isHub(h, new URL(url))) out.set("authorization", `Bearer ${h.token}`);
  return out;
}

/** The typed error for a refused request (the hub names the cause in `X-Error-Code`). */
export function errorFor(res: Response, repo: string, file?: string, revision?: string): HubError {
  const where = { repo, file, status: res.status };
  const code = res.headers.get("x-error-code");
  const detail = res.headers.get("x-error-message");
  const what = file ? `${repo}/${file}` : repo;
  const tail = detail ? `: ${detail}` : "";
  if (code === "RepoNotFound") {
    return new HubNotFoundError(
      "repo",
      `repository ${repo} not found (if it is private or gated, set HF_TOKEN)${tail}`,
      where,
    );
  }
  if (code === "RevisionNotFound") {
    return new HubNotFoundError(
      "revision",
      `revision ${revision} of ${repo} not found${tail}`,
      where,
    );
  }
  if (code === "EntryNotFound" || (res.status === 404 && file)) {
    return new HubNotFoundError("file", `${what} not found at revision ${revision}${tail}`, where);
  }
  if (res.status === 404) return new HubNotFoundError("repo", `${what} not found${tail}`, where);
  if (code === "GatedRepo" || res.status === 401 || res.status === 403) {
    const hint = code === "GatedRepo"
      ? "the repository is gated: accept its terms on the hub and set HF_TOKEN"
      : h401(res.status);
    return new HubAuthError(
      `access to ${what} refused (HTTP ${res.status}): ${hint}${tail}`,
      where,
    );
  }
  return new HubError(`HTTP ${res.status} fetching ${what}${tail}`, where);
}

function h401(status: number): string {
  return status === 401
    ? "authentication required, set HF_TOKEN (or the token option)"
    : "the token has no access to it";
}

const retryable = (status: number) => status === 429 || status >= 500;

/** fetch with retries on network errors, 429 and 5xx; aborts become AbortedError. */
async function request(
  h: HubHttp,
  url: string,
  init: RequestInit,
  where: { repo: string; file?: string },
): Promise<Response> {
  for (let attempt = 0;; attempt++) {
    let res: Response;
    try {
      res = await h.fetch(url, { ...init, ...(h.signal ? { signal: h.signal } : {}) });
    } catch (e) {
      if (h.signal?.aborted) throw new AbortedError();
      if (attempt >= h.maxRetries) {
        const err = new HubError(
          `cannot reach ${new URL(url).origin}: ${(e as Error).message}`,
          where,
        );
        err.cause = e;
        throw err;
      }
      await sleep(h.retryDelayMs * 2 ** attempt, h.signal);
      continue;
    }
    if (!retryable(res.status) || attempt >= h.maxRetries) return res;
    await res.body?.cancel();
    await sleep(h.retryDelayMs * 2 ** attempt, h.signal);
  }
}

/**
 * Reads a file's metadata. Follows redirects that stay on the hub (renamed repos), as
 * `huggingface_hub` does; a redirect elsewhere (the CDN holding LFS files) carries the
 * metadata itself and gives the download location.
 */
export async function headFile(
  h: HubHttp,
  repo: string,
  revision: string,
  file: string,
): Promise<FileMetadata> {
  let url = resolveUrl(h.endpoint, repo, revision, file);
  for (let hops = 0;; hops++) {
    const res = await request(h, url, {
      method: "HEAD",
      headers: headers(h, url),
      redirect: "manual",
    }, {
      repo,
      file,
    });
    await res.body?.cancel();
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, url);
      if ((target.hostname === new URL(url).hostname || isHub(h, target)) && hops < 5) {
        url = target.href;
        continue;
      }
      return metadata(res, target.href, repo, file);
    }
    if (!res.ok) throw errorFor(res, repo, file, revision);
    return metadata(res, url, repo, file);
  }
}

function metadata(res: Response, location: string, repo: string, file: string): FileMetadata {
  const commit = res.headers.get("x-repo-commit") ?? "";
  const etag = (res.headers.get("x-linked-etag") ?? res.headers.get("etag") ?? "")
    .replace(/^W\//, "").replaceAll('"', "");
  if (!isSafeComponent(commit) || !isSafeComponent(etag)) {
    throw new HubError(
      `the server sent no usable X-Repo-Commit / ETag for ${file} (is HF_ENDPOINT a hub?)`,
      { repo, file, status: res.status },
    );
  }
  const sizeText = res.headers.get("x-linked-size") ?? res.headers.get("content-length");
  const size = sizeText !== null && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
  return { commit, etag, size, location };
}

/** Lists a revision's files (and the commit it resolves to). */
export async function listRepo(
  h: HubHttp,
  repo: string,
  revision: string,
): Promise<{ commit: string | undefined; files: string[] }> {
  const url = `${h.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  const res = await request(h, url, { headers: headers(h, url) }, { repo });
  if (!res.ok) {
    await res.body?.cancel();
    throw errorFor(res, repo, undefined, revision);
  }
  let info: { sha?: unknown; siblings?: { rfilename?: unknown }[] };
  try {
    info = await res.json();
  } catch (e) {
    throw new HubError(`bad listing of ${repo}: ${(e as Error).message}`, { repo });
  }
  const files = (Array.isArray(info.siblings) ? info.siblings : [])
    .map((s) => s?.rfilename)
    .filter((f): f is string => typeof f === "string" && isSafeRepoPath(f));
  const sha = info.sha;
  return { commit: typeof sha === "string" && isSafeComponent(sha) ? sha : undefined, files };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/**
 * Downloads `meta.location` into `path`, resuming from the bytes already there with a
 * Range request, and again after every interruption (up to `maxRetries` times).
 * `onBytes(received, startedAt)` reports progress.
 */
export async function download(
  h: HubHttp,
  meta: FileMetadata,
  path: string,
  where: { repo: string; file: string },
  onBytes: (receivedBytes: number, startBytes: number) => void,
): Promise<void> {
  await Deno.writeFile(path, new Uint8Array(), { append: true }); // exists from here on
  let failures = 0;
  const retry = async (why: string, cause?: unknown) => {
    if (h.signal?.aborted) throw new AbortedError();
    if (++failures > h.maxRetries) {
      const err = new HubError(`download of ${where.file} failed: ${why}`, where);
      if (cause !== undefined) err.cause = cause;
      throw err;
    }
    await sleep(h.retryDelayMs * 2 ** (failures - 1), h.signal);
  };
  for (;;) {
    let start = await sizeOf(path);
    if (meta.size !== undefined && start > meta.size) {
      await Deno.truncate(path, 0);
      start = 0;
    }
    if (meta.size !== undefined && start === meta.size) return;
    const init = {
      headers: headers(h, meta.location, start > 0 ? { range: `bytes=${start}-` } : {}),
    };
    const res = await request(h, meta.location, init, where);
    if (!res.ok) {
      await res.body?.cancel();
      if (res.status === 416 && start > 0 && meta.size === undefined) return; // already whole
      throw errorFor(res, where.repo, where.file);
    }
    const append = start > 0 && res.status === 206;
    if (append && !(res.headers.get("content-range") ?? "").startsWith(`bytes ${start}-`)) {
      await res.body?.cancel();
      await Deno.truncate(path, 0); // the server sent another range: start over
      await retry("the server answered the wrong byte range");
      continue;
    }
    if (!append) start = 0; // the server ignored the Range header
    const file = await Deno.open(path, { write: true, append, truncate: !append });
    let received = start;
    onBytes(received, start);
    try {
      for await (const chunk of res.body ?? []) {
        for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
        received += chunk.length;
        onBytes(received, start);
      }
    } catch (e) {
      await retry(`connection lost after ${received} bytes (${(e as Error).message})`, e);
      continue;
    } finally {
      file.close();
    }
    if (meta.size === undefined || received === meta.size) return;
    if (received > meta.size) {
      await Deno.truncate(path, 0);
      throw new HubError(
        `download of ${where.file}: got ${received} bytes, expected ${meta.size}`,
        where,
      );
    }
    await retry(`the body ended after ${received} of ${meta.size} bytes`);
  }
}
