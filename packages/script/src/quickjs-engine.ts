import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { numericBatch } from "./batch-input.ts";
import { ScriptError } from "./errors.ts";
import { quickJSModule } from "./quickjs-module.ts";
import { randomKey } from "./random-key.ts";
import {
  cleanMessage,
  FREEZE,
  prelude,
  standaloneScript,
  stripExports,
  wrapScript,
} from "./sandbox-source.ts";
import { sha256Hex } from "./sha256.ts";
import {
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
 * nothing for primitives.
 */
const SANDBOX_REVISION = 2;

/**
 * Fuel charged to an apply for deciding a resolution alone in a fresh runtime (starting one costs
 * the host milliseconds that the interrupt handler never sees).
 */
const ALONE_COST = 200;

/** Batches of at most this many lists (a lone read) go in as JSON text. */
const SHORT_BATCH = 4;

/** Elements of native loops one fuel unit pays for (see `nativeBudget` in sandbox-source.ts). */
const ELEMENTS_PER_FUEL = 10_000;

/**
 * Fuel accounting of one runtime. QuickJS calls the interrupt handler once every fixed number of
 * interpreter steps; the handler counts those calls (`ticks`) and interrupts once more than
 * `limit` have happened since `start`.
 */
interface Meter {
  ticks: number;
  start: number;
  limit: number;
  interrupted: boolean;
  /** Interrupts delivered since `start` (more than one, or one and a normal return: one was swallowed). */
  delivered: number;
}

/** One context holding one script (prelude, frozen built-ins, the script's factory). */
interface Sandbox {
  readonly ctx: QuickJSContext;
  readonly api: QuickJSHandle;
  /** The key the sandbox's functions were locked with (their first argument). */
  readonly key: QuickJSHandle;
  readonly fns: {
    readonly load: QuickJSHandle;
    readonly loadNumeric: QuickJSHandle;
    readonly resume: QuickJSHandle;
    readonly take: QuickJSHandle;
    readonly skip: QuickJSHandle;
  };
  readonly meter: Meter;
  readonly dispose: () => void;
}

function newRuntime(lim: ScriptLimits): { rt: QuickJSRuntime; meter: Meter } {
  const rt = quickJSModule().newRuntime();
  rt.setMemoryLimit(lim.memoryMb * 1024 * 1024);
  rt.setMaxStackSize(lim.stackKb * 1024);
  const meter: Meter = { ticks: 0, start: 0, limit: lim.fuel, interrupted: false, delivered: 0 };
  rt.setInterruptHandler(() => {
    meter.ticks++;
    if (meter.ticks - meter.start > meter.limit) {
      meter.interrupted = true;
      meter.delivered++;
      return true;
    }
    return false;
  });
  return { rt, meter };
}

/**
 * Reads a take, `[count, rows]`: `count` lists finished from `at`, text rows (each carrying its
 * list's index, in order) for those that are not numbers; the others are left to the numbers
 * read later (`pending`). A count past the batch or a row out of place is `SCRIPT_ROW_MISMATCH`.
 */
function acceptTake(
  text: string,
  at: number,
  to: number,
  out: (ScriptResult | undefined)[],
  pending: number[],
): number {
  const take = JSON.parse(text) as [number, Row[]];
  const n = take[0];
  const rows = take[1];
  if (!Number.isInteger(n) || n < 0 || at + n > to || !Array.isArray(rows) || rows.length > n)
    throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox returned too many rows");
  let r = 0;
  for (let k = at; k < at + n; k++) {
    const row = rows[r];
    if (row !== undefined && Array.isArray(row) && row[0] === k) {
      out[k] =
        row[1] === 0
          ? { ok: true, value: deepFreeze(row[2]) }
          : failure(KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", row[3]);
      r++;
    } else pending.push(k);
  }
  if (r !== rows.length)
    throw new ScriptError("SCRIPT_ROW_MISMATCH", `the sandbox returned a row out of place at ${at}`);
  return n;
}

function evalIn(
  ctx: QuickJSContext,
  code: string,
  name: string,
  compileOnly = false,
): QuickJSHandle | string {
  const r = ctx.evalCode(code, name, compileOnly ? { compileOnly: true } : undefined);
  if (r.error) {
    const message = syntaxMessage(ctx, r.error);
    r.error.dispose();
    return message;
  }
  return r.value;
}

/** "SyntaxError: … at line N" from a compile error, read field by field (no script code runs). */
function syntaxMessage(ctx: QuickJSContext, error: QuickJSHandle): string {
  const field = (name: string): string | undefined => {
    const h = ctx.getProp(error, name);
    try {
      const t = ctx.typeof(h);
      return t === "string"
        ? ctx.getString(h).slice(0, 400)
        : t === "number"
          ? String(ctx.getNumber(h))
          : undefined;
    } finally {
      h.dispose();
    }
  };
  try {
    const message = field("message") ?? "an error";
    const line = field("lineNumber");
    return line === undefined ? message : `${message} (line ${line})`;
  } catch {
    return "an unreadable error";
  }
}

function createSandbox(
  lim: ScriptLimits,
  body: string,
  declared: { merge: boolean; resolve: boolean; values: boolean } | undefined,
  runtime?: { rt: QuickJSRuntime; meter: Meter },
): Sandbox {
  const own = runtime === undefined;
  const { rt, meter } = runtime ?? newRuntime(lim);
  const ctx = rt.newContext();
  const handles: QuickJSHandle[] = [];
  const dispose = (): void => {
    for (const h of handles) if (h.alive) h.dispose();
    ctx.dispose();
    if (own) rt.dispose();
  };
  try {
    const setup = (code: string, name: string): void => {
      const r = evalIn(ctx, code, name);
      if (typeof r === "string")
        throw new ScriptError("SCRIPT_UNAVAILABLE", `the QuickJS sandbox failed to start: ${r}`);
      r.dispose();
    };
    meter.start = meter.ticks;
    meter.limit = lim.fuel;
    setup(
      prelude({
        engine: "quickjs",
        maxOutputBytes: lim.maxOutputBytes,
        nativeBudget: lim.fuel * ELEMENTS_PER_FUEL,
      }),
      "prelude.js",
    );
    // Locked before any script code runs: only the host, holding the key, calls the sandbox's functions.
    const api = ctx.getProp(ctx.global, "__converge");
    handles.push(api);
    const key = ctx.newNumber(randomKey());
    handles.push(key);
    const lock = ctx.getProp(api, "lock");
    const locked = ctx.callFunction(lock, api, key);
    lock.dispose();
    if (locked.error) {
      locked.error.dispose();
      throw new ScriptError(
        "SCRIPT_UNAVAILABLE",
        "the QuickJS sandbox failed to start: it could not be locked",
      );
    }
    locked.value.dispose();
    setup(FREEZE, "freeze.js");
    // The script must compile on its own, as a whole strict script, before it is wrapped.
    const check = evalIn(ctx, standaloneScript(body), "script.js", true);
    if (typeof check === "string")
      throw new ScriptError("SCRIPT_LOAD", `the script does not compile: ${check}`);
    check.dispose();
    meter.start = meter.ticks;
    meter.interrupted = false;
    const wrapped = evalIn(ctx, wrapScript(body, declared), "script.js");
    if (typeof wrapped === "string")
      throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${wrapped}`);
    wrapped.dispose();
    const fn = (name: string): QuickJSHandle => {
      const h = ctx.getProp(api, name);
      handles.push(h);
      return h;
    };
    const fns = {
      load: fn("load"),
      loadNumeric: fn("loadNumeric"),
      resume: fn("resume"),
      take: fn("take"),
      skip: fn("skip"),
    };
    return { ctx, api, key, fns, meter, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Reads the script's shape by running its body once, under the fuel of one resolution. */
function readShape(sb: Sandbox, lim: ScriptLimits): ScriptShape {
  const { ctx, api, key, meter } = sb;
  const fn = ctx.getProp(api, "shape");
  meter.start = meter.ticks;
  meter.limit = lim.fuel;
  meter.interrupted = false;
  const r = ctx.callFunction(fn, api, key);
  fn.dispose();
  if (r.error) {
    const why = meter.interrupted ? "it ran out of fuel" : syntaxMessage(ctx, r.error);
    r.error.dispose();
    throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${why}`);
  }
  const text = ctx.getString(r.value);
  r.value.dispose();
  const shape = JSON.parse(text) as ScriptShape & { error?: string };
  if (shape.error !== undefined)
    throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${cleanMessage(shape.error)}`);
  return shape;
}

/**
 * Creates a QuickJS engine (WebAssembly; runs in Node and in browsers): each script lives in its
 * own context with frozen built-ins and no clock, randomness, locale, timers, shared memory or host
 * objects. Work is limited by deterministic fuel, memory by the runtime's limit, recursion by
 * QuickJS's own fixed stack limit — so a resolution cut off is cut off at the same point on every
 * machine.
 *
 * Batches run in one long-lived context (provably clean: everything reachable is frozen, every
 * resolution gets a fresh instance of the script, nothing else is shared). A resolution whose
 * verdict could depend on what ran before it in the batch — it used its last fuel units, or ran
 * out of memory — is run again alone in a fresh runtime, and that verdict is the one read.
 *
 * @throws ScriptError `SCRIPT_UNAVAILABLE` before QuickJS's wasm is loaded (the Node entry loads
 *   it on import; the browser entry, `@converge/script/browser`, on `await loadQuickJS()`).
 */
export function createQuickJSEngine(limits: Partial<ScriptLimits> = {}): ScriptEngine {
  quickJSModule();
  const lim: ScriptLimits = { ...DEFAULT_LIMITS, ...limits };
  const tag = `quickjs-${QUICKJS_VERSION}.r${SANDBOX_REVISION}.f${lim.fuel}.m${lim.memoryMb}.s${lim.stackKb}`;
  let shared: { rt: QuickJSRuntime; meter: Meter } | undefined;
  const handles = new Map<string, ScriptHandle>();
  const sandboxes = new Set<Sandbox>();

  const runtime = (): { rt: QuickJSRuntime; meter: Meter } => {
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

    let alones = 0; // resolutions decided alone so far (each charged ALONE_COST to the apply)

    /**
     * Resolves lists `[from, to)` in sandbox `s` into `out`; returns the fuel used. The batch runs
     * with the interrupt armed for the next tick: a resolution that saw no tick used less than one
     * unit, whatever ran before it. At a tick the batch stops and resumes at the same resolution,
     * now from a just-reset counter; if it ticks again, it is run alone from the reset counter
     * with its full fuel — counted from the same point on every machine and in every batch.
     * Out of memory (which could depend on what ran before) is decided alone in a fresh runtime.
     */
    const call = (
      s: Sandbox,
      kind: "resolve" | "merge",
      lists: readonly (readonly JsonValue[])[],
      from: number,
      to: number,
      out: (ScriptResult | undefined)[],
      fresh: boolean,
    ): number => {
      const { ctx, meter, api, key, fns } = s;
      const invoke = (fn: QuickJSHandle, ...args: QuickJSHandle[]): boolean => {
        const r = ctx.callFunction(fn, api, key, ...args);
        for (const a of args) a.dispose();
        if (r.error) {
          r.error.dispose();
          return false;
        }
        r.value.dispose();
        return true;
      };
      // The sandbox's own bookkeeping runs unmetered (a constant number of steps, so the counter
      // state a resumed resolution starts from stays the same).
      const unmetered = (): void => {
        meter.limit = Number.MAX_SAFE_INTEGER;
        meter.start = meter.ticks;
      };
      // Finished numbers wait in the sandbox (results(), marks()); read once, when needed.
      const pending: number[] = [];
      const takeRows = (at: number): number => {
        unmetered();
        const r = ctx.callFunction(fns.take, api, key);
        if (r.error) {
          r.error.dispose();
          throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox lost its rows");
        }
        const text = ctx.getString(r.value);
        r.value.dispose();
        return acceptTake(text, at, to, out, pending);
      };
      let results: QuickJSHandle | undefined; // the buffer load returned: numbers, then marks
      const fillNumbers = (): void => {
        if (pending.length === 0) return;
        const n = to - from;
        let copy = new ArrayBuffer(0);
        if (results?.alive === true) {
          const view = ctx.getArrayBuffer(results);
          try {
            copy = view.value.slice().buffer;
          } finally {
            view.dispose();
          }
        }
        if (copy.byteLength !== n * 9)
          throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox lost its results");
        const nums = new Float64Array(copy, 0, n);
        const marks = new Uint8Array(copy, n * 8, n);
        for (const k of pending) {
          if (out[k] !== undefined) continue;
          if (marks[k - from] !== 1)
            throw new ScriptError("SCRIPT_ROW_MISMATCH", `the sandbox returned no result at ${k}`);
          out[k] = { ok: true, value: nums[k - from] as number };
        }
        pending.length = 0;
      };
      meter.limit = lim.fuel;
      meter.start = meter.ticks;
      meter.interrupted = false;
      // Short batches (a lone read) go as JSON: two buffers cost more than they save there. The
      // rows run the same code either way.
      const packed = to - from > SHORT_BATCH ? numericBatch(lists, from, to) : undefined;
      const loadCall = (fn: QuickJSHandle, ...args: QuickJSHandle[]): boolean => {
        const r = ctx.callFunction(fn, api, key, ...args);
        for (const a of args) a.dispose();
        if (r.error) {
          r.error.dispose();
          return false;
        }
        results = r.value;
        return true;
      };
      if (
        !(packed === undefined
          ? loadCall(
              fns.load,
              ctx.newString(kind),
              ctx.newString(JSON.stringify(lists.slice(from, to))),
              ctx.newNumber(from),
            )
          : loadCall(
              fns.loadNumeric,
              ctx.newString(kind),
              ctx.newArrayBuffer(packed.lengths.buffer as ArrayBuffer),
              ctx.newArrayBuffer(packed.data.buffer as ArrayBuffer),
              ctx.newNumber(from),
            ))
      ) {
        for (let k = from; k < to; k++)
          out[k] = failure("SCRIPT_OUT_OF_MEMORY", "the batch does not fit in the sandbox");
        return meter.ticks - meter.start;
      }
      try {
        const ticks0 = meter.ticks;
        const alones0 = alones;
        const cost = (): number => meter.ticks - ticks0 + (alones - alones0) * ALONE_COST;
        let at = from;
        let stoppedAt = -1;
        while (at < to) {
          // The apply's budgets, in fuel and in time, defer what is left (never a lone resolution:
          // that is a read, and must give its verdict). Deferring changes when a key is resolved,
          // never what it reads; time bounds the work fuel does not see (garbage collection).
          if (to - from > 1 && (cost() > lim.applyFuel || performance.now() - startedAt > lim.applyTimeoutMs))
            break;
          meter.limit = 0;
          meter.start = meter.ticks;
          meter.interrupted = false;
          meter.delivered = 0;
          const ok = invoke(fns.resume, ctx.newNumber(to - at));
          const interrupted = meter.interrupted;
          const swallowed = meter.delivered > (ok ? 0 : 1);
          const callStart = at;
          at += takeRows(at);
          if (swallowed) {
            // A built-in handed an interrupt to the script as an error: which row saw it depends on
            // where the tick fell, so every row of this call is decided alone.
            for (let k = callStart; k < at; k++)
              out[k] = fresh
                ? failure("SCRIPT_OUT_OF_FUEL", "the script caught its interrupt")
                : alone(kind, lists[k] as readonly JsonValue[]);
          }
          if (ok) {
            if (at !== to)
              throw new ScriptError(
                "SCRIPT_ROW_MISMATCH",
                `the sandbox returned ${at - from} rows for ${to - from} lists`,
              );
            break;
          }
          if (interrupted && at !== stoppedAt) {
            stoppedAt = at;
            continue;
          }
          if (interrupted) {
            // Ticked twice: more than a unit of work. Alone, from the counter just reset, with its fuel.
            meter.limit = lim.fuel;
            meter.start = meter.ticks;
            meter.interrupted = false;
            meter.delivered = 0;
            const done = invoke(fns.resume, ctx.newNumber(1));
            const used = meter.ticks - meter.start;
            const outOfFuel = meter.interrupted;
            const n = takeRows(at);
            if (n === 1 && outOfFuel) {
              // It returned after an interrupt it should never have seen: out of fuel all the same.
              out[at] = failure(
                "SCRIPT_OUT_OF_FUEL",
                `the script used more than ${lim.fuel} fuel units`,
                used,
              );
            } else if (n === 1) {
              fillNumbers();
              const r = out[at] as ScriptResult;
              out[at] = { ...r, fuel: used };
            } else if (outOfFuel) {
              out[at] = failure(
                "SCRIPT_OUT_OF_FUEL",
                `the script used more than ${lim.fuel} fuel units`,
                used,
              );
            } else {
              out[at] = fresh
                ? failure("SCRIPT_OUT_OF_MEMORY", "the script ran out of memory", used)
                : alone(kind, lists[at] as readonly JsonValue[]);
            }
            unmetered();
            if (!done || n === 0) invoke(fns.skip);
            at++;
            stoppedAt = -1;
            continue;
          }
          // Stopped without an interrupt (memory, or the engine's own stack): decide it alone.
          out[at] = fresh
            ? failure("SCRIPT_OUT_OF_MEMORY", "the script ran out of memory")
            : alone(kind, lists[at] as readonly JsonValue[]);
          invoke(fns.skip);
          at++;
          stoppedAt = -1;
        }
        fillNumbers();
        // Rows that finished but ran out of memory inside the script: decided alone as well.
        if (!fresh) {
          for (let k = from; k < at; k++) {
            const r = out[k];
            if (r !== undefined && !r.ok && r.error.code === "SCRIPT_OUT_OF_MEMORY")
              out[k] = alone(kind, lists[k] as readonly JsonValue[]);
          }
        }
        return cost();
      } finally {
        results?.dispose();
      }
    };

    /** The verdict of one resolution alone in a fresh runtime: what every replica reads. */
    const alone = (kind: "resolve" | "merge", list: readonly JsonValue[]): ScriptResult => {
      alones++;
      let s: Sandbox;
      try {
        s = createSandbox(lim, body, declared);
      } catch (e) {
        return failure("SCRIPT_OUT_OF_MEMORY", `the sandbox could not start: ${String(e)}`);
      }
      try {
        const one: (ScriptResult | undefined)[] = [];
        call(s, kind, [list], 0, 1, one, true);
        return one[0] ?? failure("SCRIPT_APPLY_BUDGET", "not resolved");
      } finally {
        s.dispose();
      }
    };

    let stats: RunStats = { engine: "quickjs", resolutions: 0, fuel: 0, maxFuel: 0, ms: 0 };

    let startedAt = 0;
    const run = (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]): ScriptResult[] => {
      const t0 = performance.now();
      startedAt = t0;
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
          spent += call(s, kind, lists, i, end, out, false);
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
