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

Deno.test("Turns: a host turn gives the runtime several rounds of its loop", async () => {
  // each round is one wait on an off-thread digest; a new HTTP request needs several rounds
  // (accept, read, the handler, its body). Counted, not timed: rounds another chain of
  // digests got during host turns depended on the machine's load (43 alone, 3 under the
  // parallel test run)
  const subtle = crypto.subtle;
  const digest = subtle.digest.bind(subtle);
  let waits = 0, inFlight = 0, maxInFlight = 0;
  Object.defineProperty(subtle, "digest", {
    configurable: true,
    value: (...args: Parameters<SubtleCrypto["digest"]>) => {
      waits++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      return digest(...args).finally(() => inFlight--);
    },
  });
  const counts: number[] = [];
  try {
    for (const ticks of [1, undefined]) { // one tick, then the default
      const turns = new Turns(0, ticks); // every turn a host turn
      waits = 0;
      for (let i = 0; i < 10; i++) {
        busy(1);
        await turns.next();
      }
      counts.push(waits);
      turns.close();
    }
  } finally {
    delete (subtle as { digest?: unknown }).digest;
  }
  assert.deepEqual(counts, [10, 40]); // the default: four rounds a host turn
  assert.equal(maxInFlight, 1); // one after another: each a round of its own
  assert.equal(crypto.subtle.digest.name, "digest"); // the real one again
});
