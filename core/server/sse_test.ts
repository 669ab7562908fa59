import assert from "node:assert/strict";
import { LoomError } from "../errors.ts";
import { sseStream } from "./sse.ts";

Deno.test("sseStream", async (t) => {
  await t.step("events then [DONE]; onClose once", async () => {
    let closes = 0;
    async function* src() {
      yield { a: "é\n" };
      yield "raw";
    }
    const text = await new Response(sseStream(src(), { onClose: () => closes++ })).text();
    assert.equal(text, 'data: {"a":"é\\n"}\n\ndata: raw\n\ndata: [DONE]\n\n');
    assert.equal(closes, 1);
  });
  await t.step("an error becomes a last event without [DONE]", async () => {
    async function* src() {
      yield 1;
      throw new LoomError("boom");
    }
    const s = sseStream(src(), { onError: (e) => ({ error: (e as Error).message }) });
    assert.equal(await new Response(s).text(), 'data: 1\n\ndata: {"error":"boom"}\n\n');
  });
  await t.step("pulls lazily; cancel calls onCancel and onClose once", async () => {
    let produced = 0, cancels = 0, closes = 0;
    async function* src() {
      for (;;) {
        produced++;
        yield produced;
      }
    }
    const stream = sseStream(src(), { onCancel: () => cancels++, onClose: () => closes++ });
    const reader = stream.getReader();
    await reader.read();
    await reader.read();
    await new Promise((r) => setTimeout(r, 10));
    assert.ok(produced <= 3, `produced ${produced}`);
    await reader.cancel();
    assert.deepEqual([cancels, closes], [1, 1]);
  });
});
