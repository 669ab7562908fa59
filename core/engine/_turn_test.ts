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
  // another chain of off-thread ops, as an HTTP request's accept, read and body are
  let rounds = 0, stop = false;
  const other = (async () => {
    while (!stop) {
      await crypto.subtle.digest("SHA-256", new Uint8Array(1));
      rounds++;
    }
  })();
  const counts: number[] = [];
  for (const ticks of [1, undefined]) { // one tick, then the default
    const turns = new Turns(0, ticks); // every turn a host turn
    await turns.next();
    const before = rounds;
    for (let i = 0; i < 10; i++) {
      busy(1);
      await turns.next();
    }
    counts.push(rounds - before);
    turns.close();
  }
  stop = true;
  await other;
  // one round per host turn would let a new request in only after several steps
  assert.ok(
    counts[1]! >= 30,
    `the default ticks a turn: ${counts[1]} rounds of the other chain in 10 turns`,
  );
  assert.ok(counts[1]! > 2 * counts[0]!, `rounds in 10 turns: ${counts.join(" vs ")}`);
});
