import assert from "node:assert/strict";
import { StepLoop } from "./_step_loop.ts";

/** Resolves "timeout" when `p` takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

Deno.test("StepLoop: an arrival after the loop's last look at the work restarts it", async () => {
  let work = 1, steps = 0, arrived = false;
  const loop = new StepLoop(
    () => {
      steps++;
      work--;
      return Promise.resolve(true);
    },
    () => {
      const has = work > 0;
      if (!has && !arrived) {
        // a request arrives in the microtasks right after the loop found no work: the loop
        // still looks active to it, and a lost kick would leave this work waiting forever
        arrived = true;
        queueMicrotask(() => {
          work++;
          assert.equal(loop.active, true);
          loop.kick();
        });
      }
      return has;
    },
    (e) => {
      throw e;
    },
  );
  loop.kick();
  assert.notEqual(await within(loop.drain(), 2000), "timeout");
  assert.equal(arrived, true);
  assert.equal(steps, 2);
  assert.equal(work, 0);
  assert.equal(loop.active, false);
});

interface Gate {
  runnable: boolean;
  done: boolean;
  steps: number;
}

/** A loop with one sequence that runs once `runnable`; until then a step runs nothing. */
function gated(whileBlocked: (loop: StepLoop, gate: Gate) => void = () => {}) {
  const gate: Gate = { runnable: false, done: false, steps: 0 };
  const loop: StepLoop = new StepLoop(
    () => {
      gate.steps++;
      if (!gate.runnable) {
        whileBlocked(loop, gate);
        return Promise.resolve(false);
      }
      gate.done = true;
      return Promise.resolve(true);
    },
    () => !gate.done,
    (e) => {
      throw e;
    },
  );
  return { loop, gate };
}

Deno.test("StepLoop: a kick during a step that ran nothing is not slept through", async () => {
  const { loop, gate } = gated((l, g) => {
    g.runnable = true; // e.g. blocks freed by an abort while the step ran
    l.kick();
  });
  loop.kick();
  assert.notEqual(await within(loop.drain(), 2000), "timeout");
  assert.equal(gate.steps, 2);
});

Deno.test("StepLoop: sleeps when nothing can run and resumes on the next kick", async () => {
  const { loop, gate } = gated();
  loop.kick();
  assert.equal(await within(loop.drain(), 50), "timeout"); // asleep, not spinning
  assert.equal(gate.steps, 1);
  gate.runnable = true;
  loop.kick();
  assert.notEqual(await within(loop.drain(), 2000), "timeout");
  assert.equal(gate.steps, 2);
});

Deno.test("StepLoop: a step that throws goes to fail and ends the loop", async () => {
  const failed: unknown[] = [];
  let work = true;
  const loop = new StepLoop(
    () => Promise.reject(new Error("boom")),
    () => work,
    (e) => {
      failed.push(e);
      work = false;
    },
  );
  loop.kick();
  await loop.drain();
  assert.equal(failed.length, 1);
  assert.match(String(failed[0]), /boom/);
  assert.equal(loop.active, false);
});
