import { describe, expect, it } from "vitest";
import { runAcks } from "../src/storage/run-acks.ts";
import { runLoad } from "../src/storage/run-load.ts";
import { loadStorageConfig } from "../src/storage/storage-config.ts";
import { STORAGE_SYSTEMS } from "../src/storage/storage-systems.ts";

// Every storage system end to end at tiny sizes: each write must come back acknowledged exactly
// once, and the loaded document must equal the applied one, so a broken adapter fails here.
const quiet = (): void => undefined;

describe.each(STORAGE_SYSTEMS)("storage bench on %s", (system) => {
  it("acknowledges every write it made, once", async () => {
    const config = loadStorageConfig({
      BENCH_STORAGE_SYSTEMS: system,
      BENCH_STORAGE_CLIENTS: "2",
      BENCH_STORAGE_WINDOW: "4",
      BENCH_STORAGE_SECONDS: "1",
      BENCH_STORAGE_REPS: "1",
      BENCH_STORAGE_TIMEOUT_S: "30",
    });
    const [r] = await runAcks(config, quiet);
    expect(r?.system).toBe(system);
    expect(r?.writes).toBeGreaterThan(0);
    expect(r?.acks).toBe(r?.writes);
    expect(r?.acksPerSec).toBeGreaterThan(0);
    expect(r?.p99Ms).toBeGreaterThanOrEqual(r?.p50Ms ?? Number.POSITIVE_INFINITY);
  }, 60_000);
});

describe("storage bench load", () => {
  it("loads from SQLite the very state it stored, for converge and for Hocuspocus", async () => {
    const r = await runLoad(2000, 1, quiet);
    expect(r.converge.sameState).toBe(true);
    expect(r.converge.stateBytes).toBeGreaterThan(2000 * 5);
    expect(r.hocuspocus.stateBytes).toBeGreaterThan(2000 * 5);
    expect(r.converge.loadMs).toBeGreaterThan(0);
  }, 60_000);
});
