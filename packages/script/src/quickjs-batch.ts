/**
 * The QuickJS batch loop: resolutions run in a long-lived sandbox with the interrupt armed, and
 * any whose verdict could depend on what ran before it is decided again alone in a fresh runtime.
 */
import type { QuickJSHandle } from "quickjs-emscripten-core";
import { numericBatch } from "./batch-input.ts";
import { ScriptError } from "./errors.ts";
import { createSandbox, type Declared, type Sandbox } from "./quickjs-sandbox.ts";
import { acceptTake } from "./quickjs-take.ts";
import { failure, type JsonValue, type ScriptLimits, type ScriptResult } from "./types.ts";

/**
 * Fuel charged to an apply for deciding a resolution alone in a fresh runtime (starting one costs
 * the host milliseconds that the interrupt handler never sees).
 */
const ALONE_COST = 200;

/** Batches of at most this many lists (a lone read) go in as JSON text. */
const SHORT_BATCH = 4;

/** Where each list starts in the packed values (and, last, where the values end). */
function offsetsOf(lengths: Uint32Array): Uint32Array {
  const offs = new Uint32Array(lengths.length + 1);
  let p = 0;
  for (let i = 0; i < lengths.length; i++) {
    p += lengths[i] as number;
    offs[i + 1] = p;
  }
  return offs;
}

/** Runs batches of one script's resolutions (see {@link quickJSBatches}). */
export interface QuickJSBatches {
  /**
   * Starts a run at time `startedAt` (`performance.now()`): the apply's time budget counts from it.
   */
  readonly begin: (startedAt: number) => void;
  /**
   * Resolves lists `[from, to)` in sandbox `s` into `out`; returns the fuel used (resolutions
   * decided alone are charged `ALONE_COST` each). `fresh`: `s` is itself a fresh runtime of one
   * resolution, whose verdict is final.
   */
  readonly call: (
    s: Sandbox,
    kind: "resolve" | "merge",
    lists: readonly (readonly JsonValue[])[],
    from: number,
    to: number,
    out: (ScriptResult | undefined)[],
    fresh: boolean,
  ) => number;
}

/** The batch loop of one loaded script (`body`, with its `declared` shape) under `lim`. */
export function quickJSBatches(lim: ScriptLimits, body: string, declared: Declared): QuickJSBatches {
  let startedAt = 0;
  let alones = 0; // resolutions decided alone so far (each charged ALONE_COST to the apply)

  /**
   * Resolves lists `[from, to)` in sandbox `s` into `out`; returns the fuel used. The batch runs
   * with the interrupt armed for the next tick: a resolution that saw no tick used less than one
   * unit, whatever ran before it. At a tick the batch stops and resumes at the same resolution,
   * now from a just-reset counter; if it ticks again, it is run alone from the reset counter
   * with its full fuel — counted from the same point on every machine and in every batch.
   * Out of memory (which could depend on what ran before) is decided alone in a fresh runtime.
   */
  const call: QuickJSBatches["call"] = (s, kind, lists, from, to, out, fresh) => {
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
    // Finished numbers wait in the sandbox's buffer (NaN where none is finished); read when needed.
    // Every list in [from, at) is finished once its rows are taken: those without a text row (or a
    // verdict of the host's) are numbers.
    let filled = from; // out[from, filled) holds every finished list's result
    const takeRows = (at: number): number => {
      unmetered();
      const r = ctx.callFunction(fns.take, api, key);
      if (r.error) {
        r.error.dispose();
        throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox lost its rows");
      }
      const text = ctx.getString(r.value);
      r.value.dispose();
      return acceptTake(text, at, to, out);
    };
    let results: QuickJSHandle | undefined; // the buffer load returned: one number per list
    const readNumbers = (): Float64Array => {
      const n = to - from;
      let nums = new Float64Array(0);
      if (results?.alive === true) {
        const view = ctx.getArrayBuffer(results);
        try {
          if (view.value.byteLength === n * 8) nums = new Float64Array(view.value.slice().buffer);
        } finally {
          view.dispose();
        }
      }
      if (nums.length !== n) throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox lost its results");
      return nums;
    };
    const fillNumbers = (upTo: number): void => {
      let nums: Float64Array | undefined;
      for (let k = filled; k < upTo; k++) {
        if (out[k] !== undefined) continue;
        nums ??= readNumbers();
        const v = nums[k - from] as number;
        if (Number.isNaN(v))
          throw new ScriptError("SCRIPT_ROW_MISMATCH", `the sandbox returned no result at ${k}`);
        out[k] = { ok: true, value: v === 0 ? 0 : v };
      }
      if (upTo > filled) filled = upTo;
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
            ctx.newArrayBuffer(offsetsOf(packed.lengths).buffer as ArrayBuffer),
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
            out[at] = failure("SCRIPT_OUT_OF_FUEL", `the script used more than ${lim.fuel} fuel units`, used);
          } else if (n === 1) {
            fillNumbers(at + 1);
            const r = out[at] as ScriptResult;
            out[at] = { ...r, fuel: used };
          } else if (outOfFuel) {
            out[at] = failure("SCRIPT_OUT_OF_FUEL", `the script used more than ${lim.fuel} fuel units`, used);
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
      fillNumbers(at);
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

  return {
    begin: (t0) => {
      startedAt = t0;
    },
    call,
  };
}
