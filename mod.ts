export * from "@loom/core";
