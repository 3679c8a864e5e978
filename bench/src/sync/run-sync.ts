import { type CatchupSample, runCatchup } from "./catchup.ts";
import { type FanoutSample, runFanout } from "./fanout.ts";
import { type IdleSample, runIdle } from "./idle.ts";
import { SYSTEM_NAMES, type SystemId } from "./server-messages.ts";
import { medianOf } from "./stats.ts";
import { fanoutWritesFor, type SyncConfig } from "./sync-config.ts";

/** A system's medians over the runs that completed, with every run kept. */
export interface Summary<S> {
  readonly system: SystemId;
  readonly impl: string;
  /** Runs that completed (status ok). */
  readonly ok: number;
  /** Why runs failed, when some did. */
  readonly note: string;
  /** Medians over the completed runs; a field is null when no run completed. */
  readonly median: { readonly [K in keyof S]?: number | null };
  readonly samples: readonly S[];
}

/** The fan-out at one size. */
export interface FanoutSize {
  readonly clients: number;
  readonly writesPerClient: number;
  readonly results: readonly Summary<FanoutSample>[];
}

/** Everything the sync section measured. */
export interface SyncResult {
  readonly systems: readonly SystemId[];
  readonly reps: number;
  readonly idleReps: number;
  readonly window: number;
  readonly observers: number;
  readonly fanout: readonly FanoutSize[];
  readonly catchup: { readonly keys: number; readonly results: readonly Summary<CatchupSample>[] } | null;
  readonly idle: { readonly documents: number; readonly results: readonly Summary<IdleSample>[] } | null;
}

type Sample = { readonly system: SystemId; readonly status: string; readonly note: string };

/** Medians of `fields` over a system's completed runs, with why the others failed (shared with the cluster section). */
export function summarize<S extends Sample>(
  system: SystemId,
  samples: readonly S[],
  fields: readonly (keyof S & string)[],
): Summary<S> {
  const ok = samples.filter((s) => s.status === "ok");
  const median: { [K in keyof S]?: number | null } = {};
  for (const f of fields) median[f] = medianOf(ok.map((s) => s[f] as number | null));
  const failures = samples.filter((s) => s.status !== "ok").map((s) => `${s.status}: ${s.note}`);
  return {
    system,
    impl: SYSTEM_NAMES[system],
    ok: ok.length,
    note: [...new Set(failures)].join("; "),
    median,
    samples,
  };
}

const FANOUT_FIELDS = [
  "connectMs",
  "elapsedMs",
  "opsPerSec",
  "deliveriesPerSec",
  "latencyP50Ms",
  "latencyP99Ms",
  "latencyMaxMs",
  "serverCpuUsPerOp",
  "serverCpuUsPerDelivery",
  "serverBytesPerClient",
  "serverRssPerClient",
  "reconnects",
] as const satisfies readonly (keyof FanoutSample)[];

const CATCHUP_FIELDS = [
  "upBytes",
  "downBytes",
  "totalBytes",
  "syncMs",
] as const satisfies readonly (keyof CatchupSample)[];

const IDLE_FIELDS = [
  "connectMs",
  "serverBytesPerDocument",
  "serverRssPerDocument",
  "reconnects",
] as const satisfies readonly (keyof IdleSample)[];

/** Systems in a rotated order for repetition `rep`, so no system always runs first. */
export function rotated<T extends SystemId>(systems: readonly T[], rep: number): T[] {
  const k = rep % Math.max(1, systems.length);
  return [...systems.slice(k), ...systems.slice(0, k)];
}

/** Runs `run` for every system, `reps` times in rotated order; a system that timed out is not run again. */
export async function repeated<S extends Sample>(
  systems: readonly SystemId[],
  reps: number,
  run: (system: SystemId) => Promise<S>,
  log: (msg: string) => void,
): Promise<Map<SystemId, S[]>> {
  const bySystem = new Map<SystemId, S[]>(systems.map((s) => [s, []]));
  // A system that timed out would time out again: its later repetitions are not run.
  const timedOut = new Set<SystemId>();
  for (let rep = 0; rep < reps; rep++) {
    for (const system of rotated(systems, rep)) {
      if (timedOut.has(system)) continue;
      const sample = await run(system);
      if (sample.status !== "ok") log(`  ${system}: ${sample.status}: ${sample.note}`);
      if (sample.status === "timeout" && rep + 1 < reps) {
        timedOut.add(system);
        log(`  ${system}: its remaining repetitions at this size are skipped`);
      }
      bySystem.get(system)?.push(sample);
    }
  }
  return bySystem;
}

/** Runs fan-out (every size), catch-up and idle documents for every system, each run on a fresh server child. */
export async function runSync(config: SyncConfig, log: (msg: string) => void): Promise<SyncResult> {
  // Every Yjs provider adds process listeners; a thousand clients are expected here.
  process.setMaxListeners(0);
  const systems = config.systems;
  const fanout: FanoutSize[] = [];
  for (const clients of config.fanoutClients) {
    const writes = fanoutWritesFor(config, clients);
    log(`sync fan-out: ${clients} clients × ${writes} writes, ${config.reps} rep(s)`);
    const runs = await repeated(systems, config.reps, (s) => runFanout(config, s, clients, writes, log), log);
    fanout.push({
      clients,
      writesPerClient: writes,
      results: systems.map((s) => summarize(s, runs.get(s) ?? [], FANOUT_FIELDS)),
    });
  }
  let catchup: SyncResult["catchup"] = null;
  if (config.catchupKeys > 0) {
    log(`sync catch-up: ${config.catchupKeys} keys, ${config.reps} rep(s)`);
    const runs = await repeated(systems, config.reps, (s) => runCatchup(config, s, log), log);
    catchup = {
      keys: config.catchupKeys,
      results: systems.map((s) => summarize(s, runs.get(s) ?? [], CATCHUP_FIELDS)),
    };
  }
  let idle: SyncResult["idle"] = null;
  if (config.idleDocs > 0) {
    log(`sync idle documents: ${config.idleDocs}, ${config.idleReps} rep(s)`);
    const runs = await repeated(systems, config.idleReps, (s) => runIdle(config, s, log), log);
    idle = {
      documents: config.idleDocs,
      results: systems.map((s) => summarize(s, runs.get(s) ?? [], IDLE_FIELDS)),
    };
  }
  return {
    systems,
    reps: config.reps,
    idleReps: config.idleReps,
    window: config.window,
    observers: config.observers,
    fanout,
    catchup,
    idle,
  };
}
