// The page: starts the engine worker, loads a model, sends every prompt line at once and
// streams each answer into its own panel with its TTFT and tokens/s. Query parameters
// preset the form: ?model=URL&backend=auto|wasm|webgpu|reference&threads=N.
const $ = (id) => document.getElementById(id);
const status = (text) => ($("status").textContent = text);
const params = new URL(location.href).searchParams;
for (const name of ["model", "backend", "threads"]) {
  if (params.has(name)) $(name).value = params.get(name);
}

const worker = new Worker("worker.js", { type: "module" });
const outputs = new Map();
let nextId = 0;

worker.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case "progress":
      status(
        `downloading ${(m.receivedBytes / 1e6).toFixed(1)} MB` +
          (m.totalBytes ? ` of ${(m.totalBytes / 1e6).toFixed(1)} MB` : ""),
      );
      break;
    case "loaded":
      document.body.dataset.state = "ready";
      document.body.dataset.backend = m.backend;
      status(
        `${m.modelName} on ${m.backend}` +
          (m.backend === "wasm" ? ` (${m.numThreads} threads)` : "") +
          ` · loaded in ${m.loadMs.toFixed(0)} ms` + (m.chat ? " · chat template" : ""),
      );
      if (m.skipped.length > 0) console.info("backends skipped:", m.skipped);
      $("send").disabled = false;
      $("load").disabled = false;
      break;
    case "delta": {
      const o = outputs.get(m.id);
      o.text.textContent += m.text;
      o.meta.textContent = `TTFT ${m.ttftMs.toFixed(0)} ms · streaming…`;
      break;
    }
    case "done": {
      const o = outputs.get(m.id);
      o.el.dataset.state = "done";
      o.meta.textContent = `TTFT ${m.ttftMs.toFixed(0)} ms · ` +
        `${m.tokensPerS.toFixed(1)} tokens/s · ${m.numTokens} tokens`;
      if ([...outputs.values()].every((x) => x.el.dataset.state !== "running")) {
        document.body.dataset.state = "ready";
      }
      break;
    }
    case "batch":
      $("stats").textContent = `running now: ${m.numRunning} sequences · ` +
        `largest batch: ${m.maxBatchSeqs} sequences in one step · steps: ${m.numSteps}`;
      break;
    case "error": {
      const o = outputs.get(m.id);
      if (o) {
        o.el.dataset.state = "error";
        o.meta.textContent = m.message;
      } else {
        document.body.dataset.state = "error";
        $("load").disabled = false;
      }
      status(`error: ${m.message.split("\n")[0]}`);
      console.error(m.message);
      break;
    }
  }
};

function load() {
  document.body.dataset.state = "loading";
  $("send").disabled = true;
  $("load").disabled = true;
  status("loading…");
  const threads = Number($("threads").value);
  worker.postMessage({
    type: "load",
    url: new URL($("model").value, location.href).href,
    backend: $("backend").value,
    numThreads: threads > 0 ? threads : undefined,
  });
}

function send() {
  const prompts = $("prompts").value.split("\n").map((s) => s.trim()).filter((s) => s);
  document.body.dataset.state = "generating";
  $("outputs").replaceChildren();
  outputs.clear();
  for (const prompt of prompts) {
    const id = nextId++;
    const el = document.createElement("article");
    el.className = "output";
    el.dataset.state = "running";
    const title = document.createElement("h3");
    title.textContent = prompt;
    const text = document.createElement("p");
    text.className = "text";
    const meta = document.createElement("div");
    meta.className = "meta";
    el.append(title, text, meta);
    $("outputs").append(el);
    outputs.set(id, { el, text, meta });
    worker.postMessage({
      type: "generate",
      id,
      prompt,
      maxTokens: Number($("max-tokens").value),
      temperature: Number($("temperature").value),
    });
  }
}

$("load").onclick = load;
$("send").onclick = send;
load();
