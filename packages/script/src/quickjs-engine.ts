/** The QuickJS engine: `createQuickJSEngine`, its engine tag and the run over a script's batches. */
import { ScriptError } from "./errors.ts";
import { quickJSBatches } from "./quickjs-batch.ts";
import { quickJSModule } from "./quickjs-module.ts";
import {
  createSandbox,
  type MeteredRuntime,
  newRuntime,
  readShape,
  type Sandbox,
} from "./quickjs-sandbox.ts";
import { stripExports } from "./script-wrapper.ts";
import { sha256Hex } from "./sha256.ts";
import {
  DEFAULT_LIMITS,
  failure,
  type JsonValue,
  type RunStats,
  type ScriptEngine,
  type ScriptHandle,
  type ScriptLimits,
  type ScriptResult,
  type ScriptShape,
} from "./types.ts";

/**
 * The QuickJS build the fuel count is pinned to (the package versions are pinned exactly in
 * package.json). It is part of every QuickJS script resolver's id: replicas whose engines count
 * differently refuse each other's state instead of reading it differently.
 */
export const QUICKJS_VERSION = "0.32.0";

/**
 * Revision of the sandbox's own code that runs inside a resolution's fuel count (the batch loop,
 * the row, the fold): fuel counts every call and loop step there, so a change to that code can
 * move a resolution at the fuel limit across it, and comes with a new revision — in the engine
 * tag, so replicas that count differently refuse each other's state. Revision 2 (no tag mark
 * before it): numbers leave the sandbox in a typed array instead of as JSON text, the fold calls
 * nothing for primitives. Revision 3: a batch's values wait in one flat run (no array per list),
 * and the resolutions run in resume's own loop (no call per key besides the script's). Revision 4:
 * a script proved stateless (`statelessScript`) is instantiated once per context, not per key.
 */
const SANDBOX_REVISION = 4;

/**
 * Creates a QuickJS engine (WebAssembly; runs in Node and in browsers): each script lives in its
 * own context with frozen built-ins and no clock, randomness, locale, timers, shared memory or host
 * objects. Work is limited by deterministic fuel, memory by the runtime's limit, recursion by
 * QuickJS's own fixed stack limit — so a resolution cut off is cut off at the same point on every
 * machine.
 *
 * Batches run in one long-lived context (provably clean: everything reachable is frozen, every
 * resolution gets a fresh instance of the script — or the one instance of a script proved
 * stateless — and nothing else is shared). A resolution whose verdict could depend on what ran
 * before it in the batch — it used its last fuel units, or ran out of memory — is run again
 * alone in a fresh runtime, and that verdict is the one read.
 *
 * @throws ScriptError `SCRIPT_UNAVAILABLE` before QuickJS's wasm is loaded (the Node entry loads
 *   it on import; the browser entry, `@converge/script/browser`, on `await loadQuickJS()`).
 */
export function createQuickJSEngine(limits: Partial<ScriptLimits> = {}): ScriptEngine {
  quickJSModule();
  const lim: ScriptLimits = { ...DEFAULT_LIMITS, ...limits };
  const tag = `quickjs-${QUICKJS_VERSION}.r${SANDBOX_REVISION}.f${lim.fuel}.m${lim.memoryMb}.s${lim.stackKb}`;
  let shared: MeteredRuntime | undefined;
  const handles = new Map<string, ScriptHandle>();
  const sandboxes = new Set<Sandbox>();

  const runtime = (): MeteredRuntime => {
    shared ??= newRuntime(lim);
    return shared;
  };

  const load = (source: string): ScriptHandle => {
    if (typeof source !== "string") throw new ScriptError("SCRIPT_LOAD", "script source must be a string");
    const hash = sha256Hex(source);
    const known = handles.get(hash);
    if (known !== undefined) return known;
    const body = stripExports(source);
    // Shape first, in a throwaway runtime; then the context the script will run in.
    const probe = createSandbox(lim, body, undefined);
    let shape: ScriptShape;
    try {
      shape = readShape(probe, lim);
    } finally {
      probe.dispose();
    }
    if (!shape.merge && !shape.resolve) {
      throw new ScriptError("SCRIPT_LOAD", "the script declares neither merge(a, b) nor resolve(values)");
    }
    const declared = { merge: shape.merge, resolve: shape.resolve, values: shape.values !== null };
    let sb: Sandbox | undefined;
    const sandbox = (): Sandbox => {
      if (sb === undefined) {
        sb = createSandbox(lim, body, declared, runtime());
        sandboxes.add(sb);
      }
      return sb;
    };
    const drop = (): void => {
      if (sb === undefined) return;
      sandboxes.delete(sb);
      sb.dispose();
      sb = undefined;
    };
    const batches = quickJSBatches(lim, body, declared);

    let stats: RunStats = { engine: "quickjs", resolutions: 0, fuel: 0, maxFuel: 0, ms: 0 };

    const run = (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]): ScriptResult[] => {
      const t0 = performance.now();
      batches.begin(t0);
      const out: (ScriptResult | undefined)[] = new Array(lists.length);
      let spent = 0;
      for (
        let i = 0;
        i < lists.length && spent <= lim.applyFuel && performance.now() - t0 <= lim.applyTimeoutMs;
        i += lim.batchSize
      ) {
        const end = Math.min(lists.length, i + lim.batchSize);
        let s: Sandbox;
        try {
          s = sandbox();
        } catch (e) {
          // The shared runtime is full (other scripts' contexts): these keys fail, and are read again later.
          for (let k = i; k < end; k++)
            out[k] = failure("SCRIPT_OUT_OF_MEMORY", `the sandbox could not start: ${String(e)}`);
          continue;
        }
        try {
          spent += batches.call(s, kind, lists, i, end, out, false);
        } catch (e) {
          // Rows that do not match their keys: nothing unread of this batch is read, the context is dropped.
          drop();
          const err = e instanceof ScriptError ? e : new ScriptError("SCRIPT_ROW_MISMATCH", String(e));
          for (let k = i; k < end; k++) if (out[k] === undefined) out[k] = failure(err.code, err.message);
        }
      }
      let maxFuel = 0;
      for (let k = 0; k < lists.length; k++) {
        const r = out[k];
        if (r === undefined) {
          out[k] = failure(
            "SCRIPT_APPLY_BUDGET",
            `the apply's budget of ${lim.applyFuel} fuel units was spent`,
          );
        } else if ((r.fuel ?? 0) > maxFuel) maxFuel = r.fuel ?? 0;
      }
      stats = {
        engine: "quickjs",
        resolutions: lists.length,
        fuel: spent,
        maxFuel,
        ms: performance.now() - t0,
      };
      return out as ScriptResult[];
    };

    const handle: ScriptHandle = Object.freeze({ hash, shape, engineTag: tag, run, lastRun: () => stats });
    handles.set(hash, handle);
    return handle;
  };

  return {
    name: "quickjs",
    limits: lim,
    load,
    dispose: () => {
      handles.clear();
      for (const s of sandboxes) s.dispose();
      sandboxes.clear();
      shared?.rt.dispose();
      shared = undefined;
    },
  };
}
