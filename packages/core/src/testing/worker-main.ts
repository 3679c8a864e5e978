import { parentPort, workerData } from "node:worker_threads";
import type { KeyRulesConfig } from "../key-rules.ts";
import { createReplicatedMap } from "../replicated-map.ts";

/** Worker side of {@link workerMerger}: merges full states with the key rules exported by a module. */
const { module, exportName } = workerData as { module: string; exportName: string };
const rules = (await import(module))[exportName] as KeyRulesConfig;

parentPort?.on("message", ({ id, payloads }: { id: number; payloads: Uint8Array[] }) => {
  try {
    const m = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: "00000000000000fa", maxDrift: Number.POSITIVE_INFINITY },
    });
    for (const p of payloads) m.applyState(p);
    parentPort?.postMessage({ id, bytes: m.encodeState() });
  } catch (e) {
    parentPort?.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
