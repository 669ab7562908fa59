import assert from "node:assert/strict";
import { HttpError } from "./http_errors.ts";
import { readJsonBody } from "./read_body.ts";

const req = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://x/", { method: "POST", body, headers });

async function status(p: Promise<unknown>): Promise<[number, string]> {
  const e = await p.then(() => undefined, (e) => e);
  assert.ok(e instanceof HttpError, String(e));
  return [e.status, e.code];
}

Deno.test("readJsonBody", async (t) => {
  await t.step("parses an object", async () => {
    assert.deepEqual(await readJsonBody(req('{"a":[1,{"b":"]]]"}]}')), { a: [1, { b: "]]]" }] });
  });
  await t.step("413 from Content-Length or while reading a stream", async () => {
    assert.deepEqual(await status(readJsonBody(req("x".repeat(100)), { maxBytes: 10 })), [
      413,
      "request_too_large",
    ]);
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        c.enqueue(new Uint8Array(64));
      },
    });
    assert.deepEqual(await status(readJsonBody(req(endless), { maxBytes: 1000 })), [
      413,
      "request_too_large",
    ]);
    assert.ok(pulls < 40, `read ${pulls} chunks`);
  });
  await t.step("400 for invalid UTF-8, invalid JSON, non-objects, empty", async () => {
    assert.deepEqual(await status(readJsonBody(req(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d)))), [
      400,
      "invalid_encoding",
    ]);
    for (const bad of ['{"a":', "[]", "3", '"s"', "null", ""]) {
      assert.deepEqual(await status(readJsonBody(req(bad))), [400, "invalid_json"], bad);
    }
  });
  await t.step("depth counts brackets outside strings only", async () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    assert.deepEqual(await readJsonBody(req(`{"a":${nested(3)}}`), { maxDepth: 4 }), {
      a: [[[]]],
    });
    assert.deepEqual(
      await status(readJsonBody(req(`{"a":${nested(4)}}`), { maxDepth: 4 })),
      [400, "invalid_json"],
    );
    const tricky = `{"s":"[[[[[[\\"{{{{","t":[1]}`;
    assert.deepEqual(await readJsonBody(req(tricky), { maxDepth: 2 }), {
      s: '[[[[[["{{{{',
      t: [1],
    });
  });
});
