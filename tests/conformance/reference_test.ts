import { ReferenceBackend } from "@loom/reference";
import { runBackendConformance } from "./mod.ts";

// the reference is slow on the 32000-token fixtures: one llama.cpp record per model file
runBackendConformance("reference", () => Promise.resolve(new ReferenceBackend()), {
  models: { llamaCppRecords: "first" },
});
