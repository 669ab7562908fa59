import { type Backend, InvalidParameterError } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";

/** Backends the CLI can create. */
export const BACKEND_NAMES = ["reference"] as const;

/** Creates a backend by name. */
export function createBackend(name: string): Promise<Backend> {
  switch (name) {
    case "reference":
      return Promise.resolve(new ReferenceBackend());
    default:
      throw new InvalidParameterError(
        "backend",
        `unknown backend ${name} (${BACKEND_NAMES.join(", ")})`,
      );
  }
}
