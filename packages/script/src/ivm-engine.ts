/** The isolated-vm engine: `createIsolatedVmEngine`, and the packed runner the supervisor's child uses. */
import {
  type BatchInput,
  listsInput,
  type PackedLists,
  type PackedResults,
  packedInput,
} from "./batch-input.ts";
import { ScriptError } from "./errors.ts";
import { FREEZE } from "./freeze-source.ts";
import {
  classify,
  hostMessage,
  type IvmContext,
  type IvmIsolate,
  type IvmReference,
  loadIvm,
} from "./ivm-module.ts";
import { prelude } from "./prelude.ts";
import { randomKey } from "./random-key.ts";
import { cleanMessage, MAX_MESSAGE } from "./sandbox-marks.ts";
import { standaloneScript, stripExports, wrapScript } from "./script-wrapper.ts";
import { sha256Hex } from "./sha256.ts";
import {
  acceptRows,
  DEFAULT_LIMITS,
  deepFreeze,
  failure,
  type JsonValue,
  KIND_TO_CODE,
  type Row,
  type RunStats,
  type ScriptEngine,
  type ScriptHandle,
  type ScriptLimits,
  type ScriptResult,
  type ScriptShape,
} from "./types.ts";

type PackedRunner = (kind: "resolve" | "merge", packed: PackedLists) => PackedResults;
const packedRunners = new WeakMap<ScriptHandle, PackedRunner>();

/**
 * `handle.run` over lists already packed as numbers, with results packed for the way back (the
 * supervisor's child passes what it received and sends what the isolate returned, without
 * unpacking either into arrays or result objects); undefined for a handle of another engine.
 * @internal
 */
export function packedRunner(handle: ScriptHandle): PackedRunner | undefined {
  return packedRunners.get(handle);
}

/**
 * The isolate's extra rows for lists `[at, at + n)`, with codes for kinds, cleaned and bounded
 * messages and indices into the whole run, appended to `out`; false when a row is out of place
 * (the general path then decides).
 */
function codedRows(text: string, n: number, at: number, out: unknown[]): boolean {
  if (text === "[]") return true;
  const rows = JSON.parse(text) as Row[];
  const seen = new Set<number>();
  const coded: unknown[] = [];
  for (const row of rows) {
    const i = row[0];
    if (!Number.isInteger(i) || i < 0 || i >= n || seen.has(i)) return false;
    seen.add(i);
    coded.push(
      row[1] === 0
        ? [at + i, 0, row[2]]
        : [at + i, 1, KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", cleanMessage(row[3]).slice(0, MAX_MESSAGE)],
    );
  }
  for (const row of coded) out.push(row);
  return true;
}

/**
 * Creates an isolated-vm engine in this process: one isolate with a heap limit, each script in its
 * own context with frozen built-ins. Limits are wall-clock (`timeoutMs` per resolution,
 * `applyTimeoutMs` per run): the one place where replicas can read a resolution near its limit
 * differently. Hangs in native code and fatal V8 errors are not contained here: use it through
 * the supervisor (`createScriptEngine({ engine: "isolated-vm" })`), which runs it in a child process.
 */
export function createIsolatedVmEngine(limits: Partial<ScriptLimits> = {}): ScriptEngine {
  const lim: ScriptLimits = { ...DEFAULT_LIMITS, ...limits };
  const ivm = loadIvm();
  let isolate: IvmIsolate | undefined;
  let generation = 0;
  const handles = new Map<string, ScriptHandle>();
  const key = randomKey();
  const preludeText = prelude({
    engine: "isolated-vm",
    maxOutputBytes: lim.maxOutputBytes,
    // The same element budget as QuickJS's default fuel, so both engines refuse the same walks.
    nativeBudget: DEFAULT_LIMITS.fuel * 10_000,
  });

  const currentIsolate = (): IvmIsolate => {
    if (isolate === undefined || isolate.isDisposed) {
      isolate = new ivm.Isolate({ memoryLimit: lim.memoryMb });
      generation++;
    }
    return isolate;
  };

  /** A fresh sandbox context running `body` (checked to compile on its own first). */
  const context = (
    body: string,
    declared?: { merge: boolean; resolve: boolean; values: boolean },
  ): IvmContext => {
    const iso = currentIsolate();
    try {
      iso.compileScriptSync(standaloneScript(body));
    } catch (e) {
      throw new ScriptError("SCRIPT_LOAD", `the script does not compile: ${hostMessage(e)}`);
    }
    const ctx = iso.createContextSync();
    ctx.evalSync(preludeText);
    // Locked before any script code runs (see the QuickJS engine): only the host holds the key.
    ctx.evalSync(`__converge.lock(${key})`);
    ctx.evalSync(FREEZE);
    try {
      iso.compileScriptSync(wrapScript(body, declared)).runSync(ctx, { timeout: lim.timeoutMs });
    } catch (e) {
      ctx.release();
      throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${classify(e, iso).message}`);
    }
    return ctx;
  };

  const load = (source: string): ScriptHandle => {
    if (typeof source !== "string") throw new ScriptError("SCRIPT_LOAD", "script source must be a string");
    const hash = sha256Hex(source);
    const known = handles.get(hash);
    if (known !== undefined) return known;
    const body = stripExports(source);
    const probe = context(body);
    let shapeText: unknown;
    try {
      shapeText = probe.evalSync(`__converge.shape(${key})`, { timeout: lim.timeoutMs });
    } catch (e) {
      throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${classify(e, isolate).message}`);
    } finally {
      probe.release();
    }
    const shape = JSON.parse(String(shapeText)) as ScriptShape & { error?: string };
    if (shape.error !== undefined)
      throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${cleanMessage(shape.error)}`);
    if (!shape.merge && !shape.resolve) {
      throw new ScriptError("SCRIPT_LOAD", "the script declares neither merge(a, b) nor resolve(values)");
    }
    const declared = { merge: shape.merge, resolve: shape.resolve, values: shape.values !== null };
    let inst:
      | { ctx: IvmContext; run: IvmReference; runNumeric: IvmReference; generation: number }
      | undefined;
    const instance = (): NonNullable<typeof inst> => {
      if (
        inst === undefined ||
        isolate === undefined ||
        isolate.isDisposed ||
        inst.generation !== generation
      ) {
        const ctx = context(body, declared);
        inst = {
          ctx,
          run: ctx.evalSync("__converge.run", { reference: true }) as IvmReference,
          runNumeric: ctx.evalSync("__converge.runNumeric", { reference: true }) as IvmReference,
          generation,
        };
      }
      return inst;
    };
    /** After a timeout or out-of-memory the context is not reused: the next call gets a fresh one. */
    const drop = (): void => {
      if (inst !== undefined && isolate !== undefined && !isolate.isDisposed) inst.ctx.release();
      inst = undefined;
    };

    /** Resolves `lists[from, to)` in one call into the isolate, writing results to `out[from, to)`. */
    const call = (
      kind: "resolve" | "merge",
      input: BatchInput,
      from: number,
      to: number,
      timeout: number,
      out: (ScriptResult | undefined)[],
    ): void => {
      const it = instance();
      const numeric = input.numeric(from, to);
      if (numeric !== undefined) {
        const { nums, extra } = it.runNumeric.applySync(
          undefined,
          [key, kind, numeric.lengths, numeric.data],
          {
            timeout,
            arguments: { copy: true },
            result: { copy: true },
          },
        ) as { nums: Float64Array; extra: string };
        if (!(nums instanceof Float64Array) || nums.length !== to - from) {
          throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox returned a result for another batch");
        }
        const rows = JSON.parse(String(extra)) as Row[];
        if (rows.length === 0) {
          for (let i = 0; i < nums.length; i++) out[from + i] = { ok: true, value: nums[i] as number };
          return;
        }
        const special = new Set<number>();
        for (const row of rows) {
          const i = row[0];
          if (!Number.isInteger(i) || i < 0 || i >= to - from || special.has(i)) {
            throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox returned a row out of place");
          }
          special.add(i);
          out[from + i] =
            row[1] === 0
              ? { ok: true, value: deepFreeze(row[2]) }
              : failure(KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", row[3]);
        }
        for (let i = 0; i < nums.length; i++)
          if (!special.has(i)) out[from + i] = { ok: true, value: nums[i] as number };
        return;
      }
      const text = it.run.applySync(undefined, [key, kind, input.json(from, to), from], {
        timeout,
      });
      acceptRows(String(text), from, to, out);
    };

    let stats: RunStats = { engine: "isolated-vm", resolutions: 0, fuel: 0, maxFuel: 0, ms: 0 };
    /**
     * `failedFirst`: the first batch already failed as a whole (in the packed fast path, since
     * `t0`): go one by one at once, within what is left of the same budget.
     */
    const runInput = (
      kind: "resolve" | "merge",
      input: BatchInput,
      failedFirst = false,
      t0 = performance.now(),
    ): ScriptResult[] => {
      const n = input.length;
      const out: (ScriptResult | undefined)[] = new Array(n);
      const left = (): number => lim.applyTimeoutMs - (performance.now() - t0);
      const one = (i: number): void => {
        const budget = Math.ceil(Math.min(lim.timeoutMs, Math.max(1, left())));
        try {
          call(kind, input, i, i + 1, budget, out);
        } catch (e) {
          drop();
          out[i] =
            e instanceof ScriptError
              ? failure(e.code, e.message)
              : { ok: false, error: classify(e, isolate) };
        }
      };
      for (let start = 0; start < n && left() > 0; start += lim.batchSize) {
        const end = Math.min(n, start + lim.batchSize);
        try {
          if (failedFirst && start === 0)
            throw new ScriptError("SCRIPT_TIMEOUT", "the batch failed as a whole");
          // The whole batch gets the time of its resolutions, capped by what is left of the run's budget.
          // isolated-vm takes whole milliseconds.
          call(
            kind,
            input,
            start,
            end,
            Math.max(1, Math.ceil(Math.min(lim.timeoutMs * (end - start), left()))),
            out,
          );
        } catch {
          drop();
          // A resolution in the batch ran out of time or memory: redo the batch one by one, in a fresh context.
          for (let i = start; i < end && left() > 0; i++) one(i);
        }
      }
      for (let i = 0; i < n; i++) {
        if (out[i] === undefined) {
          out[i] = failure("SCRIPT_APPLY_BUDGET", `the apply's budget of ${lim.applyTimeoutMs} ms was spent`);
        }
      }
      stats = {
        engine: "isolated-vm",
        resolutions: n,
        fuel: 0,
        maxFuel: 0,
        ms: performance.now() - t0,
      };
      return out as ScriptResult[];
    };

    const run = (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]): ScriptResult[] =>
      runInput(kind, listsInput(lists));
    const handle: ScriptHandle = Object.freeze({
      hash,
      shape,
      engineTag: "isolated-vm",
      run,
      lastRun: () => stats,
    });
    packedRunners.set(handle, (kind, packed) => {
      const { lengths, data } = packed;
      const n = lengths.length;
      const t0 = performance.now();
      const nums = new Float64Array(n);
      const extra: unknown[] = [];
      let failed = false;
      // The common case: one call per batchSize lists, every row in place, numbers written
      // straight into the reply; from the first batch that is not, the general path decides the rest.
      let start = 0;
      let p = 0; // where list `start` begins in `data`
      while (start < n) {
        const end = Math.min(n, start + lim.batchSize);
        let q = p;
        for (let i = start; i < end; i++) q += lengths[i] as number;
        const left = lim.applyTimeoutMs - (performance.now() - t0);
        if (left <= 0) break;
        try {
          const r = instance().runNumeric.applySync(
            undefined,
            // Slices, not views: a view would carry its whole buffer into the isolate.
            [key, kind, lengths.slice(start, end), data.slice(p, q)],
            {
              timeout: Math.max(1, Math.ceil(Math.min(lim.timeoutMs * (end - start), left))),
              arguments: { copy: true },
              result: { copy: true },
            },
          ) as { nums: Float64Array; extra: string };
          if (
            !(r.nums instanceof Float64Array) ||
            r.nums.length !== end - start ||
            !codedRows(String(r.extra), end - start, start, extra)
          )
            break;
          nums.set(r.nums, start);
        } catch {
          drop();
          failed = true;
          break;
        }
        start = end;
        p = q;
      }
      if (start < n) {
        const rest = runInput(
          kind,
          packedInput({ lengths: lengths.subarray(start), data: data.subarray(p) }),
          failed,
          t0,
        );
        for (let i = 0; i < rest.length; i++) {
          const r = rest[i] as ScriptResult;
          if (r.ok && typeof r.value === "number") nums[start + i] = r.value;
          else extra.push(r.ok ? [start + i, 0, r.value] : [start + i, 1, r.error.code, r.error.message]);
        }
      }
      stats = { engine: "isolated-vm", resolutions: n, fuel: 0, maxFuel: 0, ms: performance.now() - t0 };
      return { nums, extra: JSON.stringify(extra) };
    });
    handles.set(hash, handle);
    return handle;
  };

  return {
    name: "isolated-vm",
    limits: lim,
    load,
    dispose: () => {
      handles.clear();
      if (isolate !== undefined && !isolate.isDisposed) isolate.dispose();
      isolate = undefined;
    },
  };
}
