/**
 * The Hugging Face hub cache layout, as `huggingface_hub` writes it, so files fetched by
 * Python tools are reused and the other way round:
 *
 * ```
 * <cache>/models--ORG--REPO/
 *   blobs/<etag>                       file contents (<etag>.incomplete while downloading)
 *   refs/<revision>                    the commit a branch or tag pointed to, as text
 *   snapshots/<commit>/<file>          relative symlink → ../../blobs/<etag>
 * <cache>/.locks/models--ORG--REPO/<etag>.lock
 * ```
 *
 * @module
 */

/** A full commit hash. */
export const COMMIT_RE: RegExp = /^[0-9a-f]{40}$/;

/** True when `name` is usable as one path component (etags, commits from a server). */
export function isSafeComponent(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,128}$/.test(name) && name !== "." && name !== "..";
}

/** True when `file` is a relative path inside a repository (no `..`, no empty parts). */
export function isSafeRepoPath(file: string): boolean {
  return file.length > 0 && !file.includes("\\") &&
    file.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * The hub cache folder: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
 * `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (as `huggingface_hub`).
 */
export function defaultCacheDir(): string {
  const hubCache = env("HF_HUB_CACHE") ?? env("HUGGINGFACE_HUB_CACHE");
  if (hubCache) return hubCache;
  const home = env("HF_HOME") ??
    `${env("XDG_CACHE_HOME") ?? `${env("HOME") ?? env("USERPROFILE") ?? "."}/.cache`}/huggingface`;
  return `${home}/hub`;
}

async function statOrUndefined(path: string, follow = true): Promise<Deno.FileInfo | undefined> {
  try {
    return follow ? await Deno.stat(path) : await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** True when `path` is a file (following symlinks). */
export async function isFile(path: string): Promise<boolean> {
  return (await statOrUndefined(path))?.isFile ?? false;
}

/** Marks the cache folder for backup tools (https://bford.info/cachedir/), as Python does. */
async function tagCacheDir(root: string): Promise<void> {
  try {
    await Deno.writeTextFile(
      `${root}/CACHEDIR.TAG`,
      "Signature: 8a477f597d28d172789f06886806bc55\n" +
        "# This file is a cache directory tag created by Loom (Hugging Face hub cache).\n" +
        "# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n",
      { createNew: true },
    );
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
}

/** One repository's folder in the cache. */
export class RepoCache {
  /** `<cache>/models--ORG--REPO`. */
  readonly dir: string;
  /** `<cache>/.locks/models--ORG--REPO`. */
  readonly lockDir: string;

  constructor(readonly root: string, readonly repo: string) {
    const folder = `models--${repo.replaceAll("/", "--")}`;
    this.dir = `${root}/${folder}`;
    this.lockDir = `${root}/.locks/${folder}`;
  }

  /** The blob holding the file whose etag is `etag`. */
  blob(etag: string): string {
    return `${this.dir}/blobs/${etag}`;
  }

  /** The snapshot folder of a commit, or one file in it. */
  snapshot(commit: string, file?: string): string {
    return `${this.dir}/snapshots/${commit}${file ? `/${file}` : ""}`;
  }

  /** The commit `revision` stands for in the cache: itself if a commit hash, else its ref. */
  async commitFor(revision: string): Promise<string | undefined> {
    if (COMMIT_RE.test(revision)) return revision;
    try {
      const commit = (await Deno.readTextFile(`${this.dir}/refs/${revision}`)).trim();
      return isSafeComponent(commit) ? commit : undefined;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory) {
        return undefined;
      }
      throw e;
    }
  }

  /** Records that `revision` (a branch or tag) points at `commit`. */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit || (await this.commitFor(revision)) === commit) return;
    const path = `${this.dir}/refs/${revision}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, commit);
  }

  /** The cached file's path, when the revision is known and the file is there. */
  async cached(revision: string, file: string): Promise<string | undefined> {
    const commit = await this.commitFor(revision);
    if (!commit) return undefined;
    const path = this.snapshot(commit, file);
    return (await isFile(path)) ? path : undefined;
  }

  /** Every file of a cached snapshot, as repository paths. */
  async list(commit: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string) => {
      for await (const e of Deno.readDir(dir)) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory) await walk(path, `${prefix}${e.name}/`);
        else if (await isFile(path)) out.push(`${prefix}${e.name}`);
      }
    };
    try {
      await walk(this.snapshot(commit), "");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out.sort();
  }

  /** Points `snapshots/<commit>/<file>` at the blob (a relative symlink, else a copy). */
  async link(commit: string, file: string, etag: string): Promise<string> {
    const path = this.snapshot(commit, file);
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const depth = file.split("/").length - 1;
    const target = `${"../".repeat(2 + depth)}blobs/${etag}`;
    // make the link under a temporary name, then rename it over the path: concurrent
    // callers each replace the link atomically instead of racing on remove + create
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.symlink(target, tmp);
    } catch {
      await Deno.copyFile(this.blob(etag), tmp); // no symlinks here (Windows without rights)
    }
    await Deno.rename(tmp, path);
    return path;
  }

  /**
   * Runs `fn` holding the blob's lock file, as `huggingface_hub` does, so two processes
   * (Loom or Python) never write the same blob at once.
   */
  async withBlobLock<T>(etag: string, fn: () => Promise<T>): Promise<T> {
    await Deno.mkdir(this.lockDir, { recursive: true });
    await tagCacheDir(this.root);
    const lock = await Deno.open(`${this.lockDir}/${etag}.lock`, { write: true, create: true });
    try {
      await lock.lock(true);
      return await fn();
    } finally {
      lock.close(); // closing releases the lock
    }
  }
}
