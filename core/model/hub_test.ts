import assert from "node:assert/strict";
import {
  downloadHubFile,
  HubAuthError,
  HubError,
  HubNotFoundError,
  HubOfflineError,
  parseHfSpec,
  resolveModel,
  type ResolveModelOptions,
} from "./hub.ts";
import { formatBytes, formatDuration, ProgressBar } from "./_hub_progress.ts";
import { writeHfModel } from "./safetensors_writer.ts";
import { SafetensorsWeights } from "./safetensors.ts";
import { configFromHf } from "./hf_config.ts";
import { InvalidParameterError } from "../errors.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const TOKEN = "hf_secret";

interface Logged {
  method: string;
  path: string;
  range: string | null;
  auth: string | null;
}

const hex = (b: ArrayBuffer) =>
  [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * A local stand-in for huggingface.co: `/{repo}/resolve/{rev}/{file}` with X-Repo-Commit and
 * ETag headers, LFS files (.gguf, .safetensors) redirected to `/cdn/{sha256}` with
 * X-Linked-Etag / X-Linked-Size, `/api/models/{repo}/revision/{rev}` listings, Range
 * requests, private repos, and connections dropped midway on request.
 */
class FakeHub {
  readonly repos = new Map<
    string,
    { files: Map<string, Uint8Array<ArrayBuffer>>; private: boolean }
  >();
  readonly log: Logged[] = [];
  /** CDN blobs whose next GET is cut off halfway (one entry per drop). */
  readonly drops: string[] = [];
  #servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  /** The CDN's origin. */
  #cdnOrigin = "";
  #etags = new Map<Uint8Array, { sha256: string; sha1: string }>();
  #cdn = new Map<string, Uint8Array<ArrayBuffer>>();

  add(repo: string, files: Record<string, string | Uint8Array>, isPrivate = false): void {
    const map = new Map<string, Uint8Array<ArrayBuffer>>();
    for (const [k, v] of Object.entries(files)) {
      map.set(k, typeof v === "string" ? new TextEncoder().encode(v) : new Uint8Array(v));
    }
    this.repos.set(repo, { files: map, private: isPrivate });
  }

  async start(): Promise<string> {
    for (const repo of this.repos.values()) {
      for (const data of repo.files.values()) {
        const sha256 = hex(await crypto.subtle.digest("SHA-256", data));
        const sha1 = hex(await crypto.subtle.digest("SHA-1", data));
        this.#etags.set(data, { sha256, sha1 });
        this.#cdn.set(sha256, data);
      }
    }
    const serve = () =>
      Deno.serve(
        {
          hostname: "127.0.0.1",
          port: 0,
          onListen() {},
          onError: () => new Response(null, { status: 500 }),
        },
        (req) => this.#handle(req),
      );
    this.#servers = [serve(), serve()];
    // Another host name (and port): the hub client must not follow there, nor send the token.
    this.#cdnOrigin = `http://localhost:${this.#servers[1]!.addr.port}`;
    return `http://127.0.0.1:${this.#servers[0]!.addr.port}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.#servers.splice(0).map((s) => s.shutdown()));
  }

  sha256(repo: string, file: string): string {
    return this.#etags.get(this.repos.get(repo)!.files.get(file)!)!.sha256;
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    this.log.push({
      method: req.method,
      path,
      range: req.headers.get("range"),
      auth: req.headers.get("authorization"),
    });
    const cdn = /^\/cdn\/([0-9a-f]+)$/.exec(path);
    if (cdn) return this.#serveBytes(req, this.#cdn.get(cdn[1]!)!, {}, cdn[1]!);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const m = api ?? resolve;
    if (!m) return new Response("no route", { status: 404 });
    const repo = this.repos.get(m[1]!);
    const authorized = req.headers.get("authorization") === `Bearer ${TOKEN}`;
    if (!repo || (repo.private && !req.headers.get("authorization"))) {
      // What the hub does for missing and for private repos without a token.
      return error(401, repo ? "" : "RepoNotFound");
    }
    if (repo.private && !authorized) return error(403, "");
    if (m[2] !== "main" && m[2] !== COMMIT) return error(404, "RevisionNotFound");
    if (api) {
      const siblings = [...repo.files.keys()].map((rfilename) => ({ rfilename }));
      return Response.json({ id: m[1], sha: COMMIT, siblings });
    }
    const data = repo.files.get(m[3]!);
    if (!data) return error(404, "EntryNotFound");
    const { sha256, sha1 } = this.#etags.get(data)!;
    if (/\.(gguf|safetensors)$/.test(m[3]!)) {
      return new Response(null, {
        status: 302,
        headers: {
          location: `${this.#cdnOrigin}/cdn/${sha256}`,
          "x-repo-commit": COMMIT,
          "x-linked-etag": `"${sha256}"`,
          "x-linked-size": String(data.length),
          etag: `W/"${sha1}"`,
        },
      });
    }
    return this.#serveBytes(req, data, { "x-repo-commit": COMMIT, etag: `"${sha1}"` }, "");
  }

  #serveBytes(
    req: Request,
    data: Uint8Array<ArrayBuffer>,
    extra: Record<string, string>,
    key: string,
  ): Response {
    const headers = new Headers({ ...extra, "accept-ranges": "bytes" });
    let body = data;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    if (range) {
      const start = Number(range[1]);
      if (start >= data.length) return new Response(null, { status: 416 });
      body = data.subarray(start);
      status = 206;
      headers.set("content-range", `bytes ${start}-${data.length - 1}/${data.length}`);
    }
    headers.set("content-length", String(body.length));
    if (req.method === "HEAD") return new Response(null, { status, headers });
    const drop = this.drops.indexOf(key);
    if (drop >= 0 && key) {
      this.drops.splice(drop, 1);
      const half = body.subarray(0, Math.floor(body.length / 2));
      const stream = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(half);
          await new Promise((r) => setTimeout(r, 20));
          c.error(new Error("connection dropped on purpose"));
        },
      });
      return new Response(stream, { status, headers });
    }
    return new Response(body, { status, headers });
  }
}

function error(status: number, code: string): Response {
  return new Response(null, { status, headers: code ? { "x-error-code": code } : {} });
}

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) & 255);

async function withHub(
  fn: (
    hub: FakeHub,
    opts: ResolveModelOptions & { cacheDir: string; endpoint: string },
  ) => Promise<void>,
): Promise<void> {
  const hub = new FakeHub();
  hub.add("org/gguf", {
    "README.md": "# model",
    "m-Q4_K_M.gguf": bytes(200_000, 3),
    "m-Q8_0.gguf": bytes(3_000, 5),
    "mmproj-m-f16.gguf": bytes(10, 1),
  });
  hub.add("org/private", { "m-Q8_0.gguf": bytes(1000, 11) }, true);
  const dir = await Deno.makeTempDir();
  const config = configFromHf({
    model_type: "llama",
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    vocab_size: 4,
  });
  await writeHfModel(`${dir}/st`, {
    config,
    maxShardBytes: 300,
    tensors: [
      { name: "token_embd.weight", dtype: "f32", shape: [4, 8], data: bytes(128, 7) },
      { name: "blk.0.attn_q.weight", dtype: "f32", shape: [8, 8], data: bytes(256, 9) },
      { name: "output.weight", dtype: "f32", shape: [4, 8], data: bytes(128, 13) },
    ],
    files: { "tokenizer.json": "{}", "tokenizer_config.json": "{}" },
  });
  const st: Record<string, Uint8Array> = {};
  for await (const e of Deno.readDir(`${dir}/st`)) {
    st[e.name] = await Deno.readFile(`${dir}/st/${e.name}`);
  }
  hub.add("org/st", {
    ...st,
    "consolidated.safetensors": bytes(64, 1),
    "original/params.json": "{}",
  });
  const endpoint = await hub.start();
  try {
    await fn(hub, { cacheDir: `${dir}/cache`, endpoint, progress: false, retryDelayMs: 1 });
  } finally {
    await hub.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("hub: parses hf: specs", () => {
  assert.deepEqual(parseHfSpec("hf:org/repo"), {
    repo: "org/repo",
    revision: "main",
    file: undefined,
  });
  assert.deepEqual(parseHfSpec("hf:org/repo@refs%2Fpr%2F1/sub/f.gguf"), {
    repo: "org/repo",
    revision: "refs/pr/1",
    file: "sub/f.gguf",
  });
  for (
    const bad of ["org/repo", "hf:org", "hf:org/re--po", "hf:org/repo/../x", "hf:org/repo@..%2Fx"]
  ) {
    assert.throws(() => parseHfSpec(bad), InvalidParameterError, bad);
  }
});

Deno.test("hub: local paths pass through; missing ones are a parameter error", async () => {
  const here = new URL(".", import.meta.url).pathname;
  assert.equal(await resolveModel(here), here);
  await assert.rejects(() => resolveModel(`${here}/no-such.gguf`), InvalidParameterError);
});

Deno.test("hub: a GGUF repo lands in the huggingface_hub cache layout", async () => {
  await withHub(async (hub, opts) => {
    const seen: number[] = [];
    const path = await resolveModel("hf:org/gguf", {
      ...opts,
      onProgress: (p) => seen.push(p.receivedBytes),
    });
    const repoDir = `${opts.cacheDir}/models--org--gguf`;
    const sha = hub.sha256("org/gguf", "m-Q4_K_M.gguf");
    assert.equal(path, `${repoDir}/snapshots/${COMMIT}/m-Q4_K_M.gguf`);
    assert.ok((await Deno.lstat(path)).isSymlink);
    assert.equal(await Deno.readLink(path), `../../blobs/${sha}`);
    assert.deepEqual(
      await Deno.readFile(path),
      hub.repos.get("org/gguf")!.files.get("m-Q4_K_M.gguf"),
    );
    assert.equal(await Deno.readTextFile(`${repoDir}/refs/main`), COMMIT);
    assert.match(await Deno.readTextFile(`${opts.cacheDir}/CACHEDIR.TAG`), /^Signature: 8a477f59/);
    const blobs = [];
    for await (const e of Deno.readDir(`${repoDir}/blobs`)) blobs.push(e.name);
    assert.deepEqual(blobs, [sha]);
    assert.equal(seen.at(-1), 200_000);
    // Options pick another quantization; a cached commit needs no request at all.
    const q8 = await resolveModel("hf:org/gguf", { ...opts, quant: "q8_0" });
    assert.ok(q8.endsWith("/m-Q8_0.gguf"));
    const before = hub.log.length;
    assert.equal(await resolveModel(`hf:org/gguf@${COMMIT}/m-Q8_0.gguf`, opts), q8);
    assert.equal(hub.log.length, before);
    await assert.rejects(
      () => resolveModel("hf:org/gguf", { ...opts, quant: "Q2_K" }),
      HubNotFoundError,
    );
  });
});

Deno.test("hub: a safetensors repo brings config, tokenizer and the index's shards", async () => {
  await withHub(async (_hub, opts) => {
    const folder = await resolveModel("hf:org/st", opts);
    assert.equal(folder, `${opts.cacheDir}/models--org--st/snapshots/${COMMIT}`);
    const names: string[] = [];
    for await (const e of Deno.readDir(folder)) names.push(e.name);
    assert.deepEqual(names.sort(), [
      "config.json",
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    const w = await SafetensorsWeights.open(folder);
    assert.deepEqual(w.tensors.map((t) => t.name).sort(), [
      "blk.0.attn_q.weight",
      "output.weight",
      "token_embd.weight",
    ]);
    assert.deepEqual(await w.read("token_embd.weight"), bytes(128, 7));
    w.close();
  });
});

Deno.test("hub: an interrupted download resumes with a Range request", async () => {
  await withHub(async (hub, opts) => {
    const sha = hub.sha256("org/gguf", "m-Q4_K_M.gguf");
    const cdn = `/cdn/${sha}`;
    hub.drops.push(sha);
    const path = await resolveModel("hf:org/gguf/m-Q4_K_M.gguf", opts);
    const gets = hub.log.filter((l) => l.path === cdn && l.method === "GET");
    assert.equal(gets.length, 2);
    assert.equal(gets[0]!.range, null);
    assert.equal(gets[1]!.range, "bytes=100000-");
    assert.deepEqual(
      await Deno.readFile(path),
      hub.repos.get("org/gguf")!.files.get("m-Q4_K_M.gguf"),
    );
    // Without retries the first call fails and leaves the .incomplete file; the next resumes.
    hub.drops.push(hub.sha256("org/gguf", "m-Q8_0.gguf"));
    await assert.rejects(
      () => resolveModel("hf:org/gguf/m-Q8_0.gguf", { ...opts, maxRetries: 0 }),
      HubError,
    );
    const incomplete = `${opts.cacheDir}/models--org--gguf/blobs/${
      hub.sha256("org/gguf", "m-Q8_0.gguf")
    }.incomplete`;
    assert.equal((await Deno.stat(incomplete)).size, 1500);
    await resolveModel("hf:org/gguf/m-Q8_0.gguf", { ...opts, maxRetries: 0 });
    assert.equal(hub.log.at(-1)!.range, "bytes=1500-");
    await assert.rejects(() => Deno.stat(incomplete), Deno.errors.NotFound);
  });
});

Deno.test("hub: concurrent requests for one file download it once", async () => {
  await withHub(async (hub, opts) => {
    const [a, b] = await Promise.all([
      resolveModel("hf:org/gguf/m-Q4_K_M.gguf", opts),
      resolveModel("hf:org/gguf/m-Q4_K_M.gguf", opts),
    ]);
    assert.equal(a, b);
    const cdn = `/cdn/${hub.sha256("org/gguf", "m-Q4_K_M.gguf")}`;
    assert.equal(hub.log.filter((l) => l.path === cdn && l.method === "GET").length, 1);
    assert.deepEqual(await Deno.readFile(a), hub.repos.get("org/gguf")!.files.get("m-Q4_K_M.gguf"));
  });
});

Deno.test("hub: offline mode serves the cache, and only the cache", async () => {
  await withHub(async (hub, opts) => {
    const online = await resolveModel("hf:org/gguf", opts);
    const folder = await resolveModel("hf:org/st", opts);
    await hub.stop();
    const offline = { ...opts, offline: true };
    assert.equal(await resolveModel("hf:org/gguf", offline), online);
    assert.equal(await resolveModel("hf:org/gguf/m-Q4_K_M.gguf", offline), online);
    assert.equal(await resolveModel("hf:org/st", offline), folder);
    await assert.rejects(
      () => resolveModel("hf:org/gguf/m-Q8_0.gguf", offline),
      (e: unknown) => e instanceof HubOfflineError && e.file === "m-Q8_0.gguf",
    );
    await assert.rejects(() => resolveModel("hf:org/other", offline), HubOfflineError);
    // Online but unreachable: the cache answers too.
    assert.equal(
      await resolveModel("hf:org/gguf/m-Q4_K_M.gguf", { ...opts, maxRetries: 0 }),
      online,
    );
    await assert.rejects(
      () => resolveModel("hf:org/gguf/m-Q8_0.gguf", { ...opts, maxRetries: 0 }),
      HubError,
    );
  });
});

Deno.test("hub: missing repo, revision and file are typed errors", async () => {
  await withHub(async (_hub, opts) => {
    const expectMissing = (spec: string, what: string, status: number) =>
      assert.rejects(() => resolveModel(spec, opts), (e: unknown) => {
        assert.ok(e instanceof HubNotFoundError, String(e));
        assert.equal(e.what, what);
        assert.equal(e.status, status);
        return true;
      });
    await expectMissing("hf:org/gguf/nope.gguf", "file", 404);
    await expectMissing("hf:org/gguf@v9/m-Q8_0.gguf", "revision", 404);
    await expectMissing("hf:org/missing", "repo", 401);
    await expectMissing("hf:org/missing/config.json", "repo", 401);
  });
});

Deno.test("hub: a private repo needs HF_TOKEN", async () => {
  await withHub(async (hub, opts) => {
    await assert.rejects(() => resolveModel("hf:org/private", opts), (e: unknown) => {
      assert.ok(e instanceof HubAuthError, String(e));
      assert.equal(e.status, 401);
      assert.match(e.message, /HF_TOKEN/);
      return true;
    });
    await assert.rejects(
      () => resolveModel("hf:org/private", { ...opts, token: "wrong" }),
      HubAuthError,
    );
    const saved = ["HF_TOKEN", "HF_ENDPOINT", "HF_HUB_CACHE"].map((k) =>
      [k, Deno.env.get(k)] as const
    );
    try {
      Deno.env.set("HF_TOKEN", TOKEN);
      Deno.env.set("HF_ENDPOINT", opts.endpoint + "/");
      Deno.env.set("HF_HUB_CACHE", opts.cacheDir);
      const path = await downloadHubFile("org/private", "m-Q8_0.gguf", { progress: false });
      assert.ok(path.startsWith(`${opts.cacheDir}/models--org--private/snapshots/${COMMIT}/`));
    } finally {
      for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
    // The token goes to the hub, not to the CDN the file is redirected to.
    const withAuth = hub.log.filter((l) => l.auth === `Bearer ${TOKEN}`).map((l) => l.path);
    assert.ok(withAuth.some((p) => p.includes("/resolve/")));
    assert.ok(hub.log.some((l) => l.path.startsWith("/cdn/")));
    assert.ok(!withAuth.some((p) => p.startsWith("/cdn/")));
  });
});

Deno.test("hub: progress bar text", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(12_345_678), "12 MB");
  assert.equal(formatDuration(59.6), "1:00");
  let t = 0;
  const lines: string[] = [];
  const bar = new ProgressBar("f.gguf", 1000, 200, (s) => lines.push(s), () => t);
  t = 2000;
  assert.equal(
    bar.render(600),
    "\r\x1b[2Kf.gguf  60% |##############----------| 600 B/1.0 kB 200 B/s ETA 0:02",
  );
  bar.update(600);
  t = 2050;
  bar.update(700); // within 100 ms: not drawn
  bar.finish(1000);
  assert.equal(lines.length, 2);
  assert.ok(lines[1]!.endsWith("100% |########################| 1.0 kB/1.0 kB 390 B/s ETA 0:00\n"));
  const unknown = new ProgressBar("x", undefined, 0, () => {}, () => t);
  assert.match(unknown.render(5), /x 5 B/);
});
