import { ReferenceBackend } from "@loom/reference";
import { runBackendConformance } from "./mod.ts";

runBackendConformance("reference", () => Promise.resolve(new ReferenceBackend()));
