/**
 * What the attack suites share: the two engines at small limits (disposed after the file), a key
 * in conflict on replicas with different histories, and the check that an attack stayed contained.
 */
import { createReplicatedMap } from "@converge/core";
import { afterAll, expect } from "vitest";
import {
  createScriptEngine,
  isUnresolved,
  type ScriptEngine,
  type ScriptEngineName,
  type ScriptFailure,
  scriptResolver,
} from "../src/index.ts";

// Small limits keep the suite fast; the same attacks run on both engines.
export const engines: Record<ScriptEngineName, ScriptEngine> = {
  quickjs: createScriptEngine({
    engine: "quickjs",
    fuel: 100,
    applyFuel: 3000,
    memoryMb: 32,
    maxOutputBytes: 64 * 1024,
  }),
  "isolated-vm": createScriptEngine({
    engine: "isolated-vm",
    timeoutMs: 50,
    applyTimeoutMs: 1500,
    memoryMb: 32,
    maxOutputBytes: 64 * 1024,
  }),
};
afterAll(() => {
  for (const e of Object.values(engines)) e.dispose();
});

/** Time the host may be blocked by one attack (a crash restarts the engine process), ms. */
export const RESPONSIVE_MS: number = 15_000;
/** Growth of the host's resident memory one attack may cause, bytes. */
export const MEMORY_BOUND: number = 256 * 1024 * 1024;

/** Every replica's clock: one fixed instant. */
export const clock: { readonly now: () => number } = { now: () => 1_764_000_000_000 };
/** The values the two replicas write to "k". */
export const valueA: { n: number; tags: string[] } = { n: 1, tags: ["x"] };
export const valueB: { n: number; tags: string[] } = { n: 2, tags: ["y"] };

/** One read of "k": its value, and whether reading left the state bytes as they were. */
export interface KeyRead {
  readonly value: unknown;
  readonly unchanged: boolean;
}

/**
 * "k" in conflict on replicas with different histories: `a` reads it in one batch with other
 * conflicting keys (the apply's batch), `c` holds only "k" and reads it alone. Returns both reads,
 * the failures, and whether each read left the state bytes as they were.
 */
export function conflictUnder(
  engine: ScriptEngine,
  source: string,
): { batched: KeyRead; alone: KeyRead; failures: ScriptFailure[] } {
  const failures: ScriptFailure[] = [];
  const resolver = scriptResolver({ source, engine, onFailure: (f) => failures.push(f) });
  const make = (node: string) =>
    createReplicatedMap({ resolvers: { default: resolver }, clockOptions: { node, ...clock } });
  const a = make("000000000000000a");
  const b = make("000000000000000b");
  for (let i = 0; i < 5; i++) {
    a.set(`other${i}`, { n: i, tags: [] });
    b.set(`other${i}`, { n: 10 + i, tags: [] });
  }
  a.set("k", valueA);
  b.set("k", valueB);
  a.applyState(b.encodeState());
  const c1 = make("000000000000000a");
  const c2 = make("000000000000000b");
  c1.set("k", valueA);
  c2.set("k", valueB);
  c2.applyState(c1.encodeState());
  const read = (m: ReturnType<typeof make>): KeyRead => {
    const before = Buffer.from(m.encodeState()).toString("hex");
    const value = m.get("k");
    return { value, unchanged: Buffer.from(m.encodeState()).toString("hex") === before };
  };
  return { batched: read(a), alone: read(c2), failures };
}

/** A read as its value, or `Unresolved:<code>`. */
export const outcome = (v: unknown): unknown => (isUnresolved(v) ? `Unresolved:${v.error.code}` : v);

/** Runs `attack` and checks the host stayed responsive and its memory bounded. */
export async function contained<T>(attack: () => T): Promise<T> {
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  const fired = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), 0));
  const result = attack();
  expect((await fired) - t0).toBeLessThan(RESPONSIVE_MS);
  expect(process.memoryUsage().rss - rss).toBeLessThan(MEMORY_BOUND);
  return result;
}
