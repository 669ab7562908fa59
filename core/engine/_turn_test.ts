import assert from "node:assert/strict";
import { Turns } from "./_turn.ts";

/** Holds the thread as a model's forward pass does. */
function busy(ms: number): void {
  const t = performance.now();
  while (performance.now() - t < ms);
}

Deno.test("Turns: a loop of busy steps still lets the host answer HTTP between them", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    return new Response("ok");
  });
  const turns = new Turns();
  let answered = false;
  const reply = fetch(`http://127.0.0.1:${server.addr.port}/`)
    .then((r) => r.text())
    .then((text) => (answered = text === "ok"));
  let steps = 0;
  try {
    // 5 ms steps, as a small model's decode; a cheap-turn-only loop never let this through
    while (!answered && steps < 400) {
      busy(5);
      steps++;
      await turns.next();
    }
  } finally {
    turns.close();
    await reply;
    await server.shutdown();
  }
  assert.ok(steps < 100, `the request was answered only after ${steps} busy steps`);
});

Deno.test("Turns: cheap turns between host turns, and close releases waiters", async () => {
  const turns = new Turns(1e9); // never a host turn after the first
  let n = 0;
  for (let i = 0; i < 50; i++) await turns.next().then(() => n++);
  assert.equal(n, 50);
  const pending = turns.next();
  turns.close();
  await pending; // resolved by close (or by its message), never left hanging
});
