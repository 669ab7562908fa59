/**
 * Typed errors of the Hugging Face hub client (re-exported by `hub.ts`).
 *
 * @module
 */
import { LoomError } from "../errors.ts";

/** Where a hub error happened. */
export interface HubErrorWhere {
  /** `ORG/REPO`. */
  readonly repo: string;
  /** The file, when one was being fetched. */
  readonly file?: string | undefined;
  /** The HTTP status, when the server answered. */
  readonly status?: number | undefined;
}

/**
 * A download from the Hugging Face hub failed (unreachable endpoint, server error,
 * interrupted transfer after every retry, malformed answer).
 *
 * @example
 * ```ts
 * import { HubError } from "@loom/core";
 * const e = new HubError("HTTP 500", { repo: "org/model", file: "config.json", status: 500 });
 * console.log(e.code, e.status); // "hub" 500
 * ```
 */
export class HubError extends LoomError {
  /** `ORG/REPO`. */
  readonly repo: string;
  /** The file, when one was being fetched. */
  readonly file: string | undefined;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /**
   * Creates an instance.
   *
   * @param message What failed.
   * @param where Repository, file and HTTP status.
   * @param code Stable machine-readable code.
   */
  constructor(message: string, where: HubErrorWhere, code = "hub") {
    super(message, code);
    this.repo = where.repo;
    this.file = where.file;
    this.status = where.status;
  }
}

/**
 * The repository, revision or file does not exist (or is private and no token was given:
 * the hub answers 401 "RepoNotFound" then).
 *
 * @example
 * ```ts
 * import { HubNotFoundError } from "@loom/core";
 * const e = new HubNotFoundError("file", "no file x.gguf", { repo: "org/model", status: 404 });
 * console.log(e.what, e.code); // "file" "hub_not_found"
 * ```
 */
export class HubNotFoundError extends HubError {
  /** What is missing. */
  readonly what: "repo" | "revision" | "file";
  /**
   * Creates an instance.
   *
   * @param what What is missing.
   * @param message Details.
   * @param where Repository, file and HTTP status.
   */
  constructor(what: "repo" | "revision" | "file", message: string, where: HubErrorWhere) {
    super(message, where, "hub_not_found");
    this.what = what;
  }
}

/**
 * The hub refused access: a token is needed (set `HF_TOKEN`), the token is wrong, or the
 * repository is gated and its terms were not accepted.
 *
 * @example
 * ```ts
 * import { HubAuthError } from "@loom/core";
 * console.log(new HubAuthError("set HF_TOKEN", { repo: "org/private", status: 401 }).code); // "hub_auth"
 * ```
 */
export class HubAuthError extends HubError {
  /**
   * Creates an instance.
   *
   * @param message Details, with what to do.
   * @param where Repository, file and HTTP status.
   */
  constructor(message: string, where: HubErrorWhere) {
    super(message, where, "hub_auth");
  }
}

/**
 * Offline mode (`HF_HUB_OFFLINE=1` or the `offline` option) and the file is not in the
 * local cache.
 *
 * @example
 * ```ts
 * import { HubOfflineError } from "@loom/core";
 * const e = new HubOfflineError("not cached", { repo: "org/model", file: "config.json" });
 * console.log(e.code, e.file); // "hub_offline" "config.json"
 * ```
 */
export class HubOfflineError extends HubError {
  /**
   * Creates an instance.
   *
   * @param message Details (names the cache folder looked in).
   * @param where Repository and file.
   */
  constructor(message: string, where: HubErrorWhere) {
    super(message, where, "hub_offline");
  }
}
