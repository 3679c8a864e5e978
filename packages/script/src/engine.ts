import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { toValue, type Value } from "@converge/core";
import { ScriptError, type ScriptErrorCode } from "./errors.ts";
import { FREEZE, PRELUDE, wrapScript } from "./sandbox-source.ts";

/** Limits of the sandbox. */
export interface ScriptLimits {
  /** Heap of the isolate, in MiB (shared by the scripts of one engine). Default 64. */
  readonly memoryMb: number;
  /** CPU time one resolution may take, in ms. Default 50. */
  readonly timeoutMs: number;
  /** Largest result of one resolution, as JSON text length. Default 1 MiB. */
  readonly maxOutputBytes: number;
  /** Resolutions sent to the isolate in one call. Default 16384. */
  readonly batchSize: number;
}

/** Default limits. */
export const DEFAULT_LIMITS: ScriptLimits = Object.freeze({
  memoryMb: 64,
  timeoutMs: 50,
  maxOutputBytes: 1024 * 1024,
  batchSize: 16384,
});

/** A value scripts exchange: JSON data (null, booleans, finite numbers, strings, arrays, plain objects). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** The outcome of one resolution at the sandbox boundary. */
export type ScriptResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly error: ScriptError };

/** What a loaded script declares. */
export interface ScriptShape {
  readonly merge: boolean;
  readonly resolve: boolean;
  /** The script's `values` declaration (a value schema for `converge verify`), if any. */
  readonly values: JsonValue | null;
}

/** A compiled, validated script. */
export interface ScriptHandle {
  /** SHA-256 of the source, hex. */
  readonly hash: string;
  readonly shape: ScriptShape;
  /**
   * Resolves each list of values in the sandbox: with `resolve(values)`, or by folding
   * `merge(a, b)` left to right. Batched: one call into the isolate per `batchSize` lists.
   */
  readonly run: (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]) => ScriptResult[];
}

/** Loads scripts into one isolate. */
export interface ScriptEngine {
  readonly limits: ScriptLimits;
  /**
   * Compiles `source` (cached by hash), runs it once to read its shape, and returns a handle.
   * @throws ScriptError `SCRIPT_LOAD` (syntax error, imports, neither merge nor resolve) or
   *   `SCRIPT_UNAVAILABLE` (isolated-vm is not installed).
   */
  readonly load: (source: string) => ScriptHandle;
  /** Frees the isolate; later loads start a new one. */
  readonly dispose: () => void;
}

// isolated-vm's surface as used here (its own typings are not a dependency of this package's API).
interface IvmReference {
  applySync(
    receiver: undefined,
    args: unknown[],
    options?: { timeout?: number; arguments?: { copy: true }; result?: { copy: true } },
  ): unknown;
  release(): void;
}
interface IvmContext {
  evalSync(code: string, options?: { timeout?: number; reference?: boolean }): unknown;
  release(): void;
}
interface IvmScript {
  runSync(context: IvmContext, options?: { timeout?: number }): unknown;
}
interface IvmIsolate {
  readonly isDisposed: boolean;
  createContextSync(): IvmContext;
  compileScriptSync(code: string): IvmScript;
  dispose(): void;
}
interface Ivm {
  Isolate: new (options: { memoryLimit: number }) => IvmIsolate;
}

let cachedIvm: Ivm | undefined;
function loadIvm(): Ivm {
  if (cachedIvm !== undefined) return cachedIvm;
  try {
    cachedIvm = createRequire(import.meta.url)("isolated-vm") as Ivm;
    return cachedIvm;
  } catch (e) {
    throw new ScriptError(
      "SCRIPT_UNAVAILABLE",
      `resolver scripts need the optional peer dependency isolated-vm (7.x): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

const KIND_TO_CODE: Record<string, ScriptErrorCode> = {
  threw: "SCRIPT_THREW",
  forbidden: "SCRIPT_NONDETERMINISM",
  nonjson: "SCRIPT_NON_JSON",
  large: "SCRIPT_RESULT_TOO_LARGE",
  oom: "SCRIPT_OUT_OF_MEMORY",
};

function classify(e: unknown, isolate: IvmIsolate): ScriptError {
  const message = e instanceof Error ? e.message : String(e);
  if (isolate.isDisposed || /memory limit/i.test(message)) {
    return new ScriptError("SCRIPT_OUT_OF_MEMORY", `the script ran out of memory (${message})`);
  }
  if (/timed out/i.test(message))
    return new ScriptError("SCRIPT_TIMEOUT", "the script ran past its CPU-time limit");
  if (/Maximum call stack/i.test(message))
    return new ScriptError("SCRIPT_THREW", `the script recursed too deeply: ${message}`);
  return new ScriptError("SCRIPT_THREW", message);
}

/**
 * Creates a sandbox engine: one isolated-vm isolate with a heap limit, where each script lives in
 * its own context with frozen built-ins and no clock, randomness, locale, timers, shared memory,
 * WebAssembly, WeakRef/FinalizationRegistry or host objects. Values cross the boundary as JSON
 * text (never as typed arrays, which isolated-vm would copy whole). A script that exhausts memory
 * disposes only the isolate, which is rebuilt on the next call.
 */
export function createScriptEngine(limits: Partial<ScriptLimits> = {}): ScriptEngine {
  const lim: ScriptLimits = { ...DEFAULT_LIMITS, ...limits };
  const ivm = loadIvm();
  let isolate: IvmIsolate | undefined;
  let generation = 0;
  const handles = new Map<string, ScriptHandle>();

  const currentIsolate = (): IvmIsolate => {
    if (isolate === undefined || isolate.isDisposed) {
      isolate = new ivm.Isolate({ memoryLimit: lim.memoryMb });
      generation++;
    }
    return isolate;
  };

  /** A context running `source`: returns the reference to `__converge.run` and the shape. */
  /** A fresh sandbox context running `wrapped`. */
  const context = (wrapped: string): IvmContext => {
    const iso = currentIsolate();
    const ctx = iso.createContextSync();
    ctx.evalSync(PRELUDE.replace("__MAX_OUTPUT__", String(lim.maxOutputBytes)));
    ctx.evalSync(FREEZE);
    let compiled: IvmScript;
    try {
      compiled = iso.compileScriptSync(wrapped);
    } catch (e) {
      ctx.release();
      throw new ScriptError(
        "SCRIPT_LOAD",
        `the script does not compile: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    try {
      compiled.runSync(ctx, { timeout: lim.timeoutMs });
    } catch (e) {
      ctx.release();
      throw new ScriptError("SCRIPT_LOAD", `the script failed to load: ${classify(e, iso).message}`);
    }
    return ctx;
  };

  /**
   * Loads `source`: once generically to learn what it declares (running its body once), then in
   * the context it will run in, with a factory that names only those declarations.
   */
  const instantiate = (
    source: string,
  ): { run: IvmReference; runNumeric: IvmReference; shape: ScriptShape } => {
    const probe = context(wrapScript(source));
    let shapeText: unknown;
    try {
      shapeText = probe.evalSync("__converge.shape()", { timeout: lim.timeoutMs });
    } catch (e) {
      throw new ScriptError(
        "SCRIPT_LOAD",
        `the script failed to load: ${classify(e, currentIsolate()).message}`,
      );
    } finally {
      probe.release();
    }
    const shape = JSON.parse(String(shapeText)) as ScriptShape;
    if (!shape.merge && !shape.resolve) {
      throw new ScriptError("SCRIPT_LOAD", "the script declares neither merge(a, b) nor resolve(values)");
    }
    const ctx = context(
      wrapScript(source, { merge: shape.merge, resolve: shape.resolve, values: shape.values !== null }),
    );
    const run = ctx.evalSync("__converge.run", { reference: true }) as IvmReference;
    const runNumeric = ctx.evalSync("__converge.runNumeric", { reference: true }) as IvmReference;
    return { run, runNumeric, shape };
  };

  const load = (source: string): ScriptHandle => {
    if (typeof source !== "string") throw new ScriptError("SCRIPT_LOAD", "script source must be a string");
    const hash = createHash("sha256").update(source).digest("hex");
    const known = handles.get(hash);
    if (known !== undefined) return known;
    let inst = instantiate(source);
    let instGeneration = generation;

    /** Resolves `lists[from, to)` in one call into the isolate, writing results to `out[from, to)`. */
    const call = (
      kind: "resolve" | "merge",
      lists: readonly (readonly JsonValue[])[],
      from: number,
      to: number,
      timeout: number,
      out: ScriptResult[],
    ): void => {
      if (isolate === undefined || isolate.isDisposed || instGeneration !== generation) {
        inst = instantiate(source);
        instGeneration = generation;
      }
      const numeric = numericBatch(lists, from, to);
      if (numeric !== undefined) {
        const { nums, extra } = inst.runNumeric.applySync(undefined, [kind, numeric.lengths, numeric.data], {
          timeout,
          arguments: { copy: true },
          result: { copy: true },
        }) as { nums: Float64Array; extra: string };
        for (let i = 0; i < nums.length; i++) out[from + i] = { ok: true, value: nums[i] as number };
        for (const row of JSON.parse(extra) as ([number, 0, string] | [number, 1, string, string])[]) {
          out[from + row[0]] =
            row[1] === 0
              ? { ok: true, value: deepFreeze(JSON.parse(row[2]) as JsonValue) }
              : { ok: false, error: new ScriptError(KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", row[3]) };
        }
        return;
      }
      const text = inst.run.applySync(undefined, [kind, JSON.stringify(lists.slice(from, to))], { timeout });
      const rows = JSON.parse(String(text)) as ([0, JsonValue] | [1, string, string])[];
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as [0, JsonValue] | [1, string, string];
        out[from + i] =
          row[0] === 1
            ? { ok: false, error: new ScriptError(KIND_TO_CODE[row[1]] ?? "SCRIPT_THREW", row[2]) }
            : // Parsed JSON is plain data; freeze it like every stored value.
              { ok: true, value: deepFreeze(row[1]) };
      }
    };

    const run = (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]): ScriptResult[] => {
      const out: ScriptResult[] = new Array(lists.length);
      let strikes = 0; // consecutive timeouts or out-of-memory: stop early rather than stall
      let last: ScriptError | undefined;
      const one = (list: readonly JsonValue[]): ScriptResult => {
        if (strikes >= 3 && last !== undefined) {
          return {
            ok: false,
            error: new ScriptError(last.code, `skipped after repeated failures: ${last.message}`),
          };
        }
        try {
          const single: ScriptResult[] = [];
          call(kind, [list], 0, 1, lim.timeoutMs, single);
          strikes = 0;
          return single[0] as ScriptResult;
        } catch (e) {
          strikes++;
          last = classify(e, isolate as IvmIsolate);
          return { ok: false, error: last };
        }
      };
      for (let start = 0; start < lists.length; start += lim.batchSize) {
        const end = Math.min(lists.length, start + lim.batchSize);
        try {
          // The whole batch gets the time of its resolutions, capped so that a hung script is found quickly.
          call(kind, lists, start, end, Math.min(lim.timeoutMs * (end - start), lim.timeoutMs + 1000), out);
        } catch {
          // A resolution in the batch ran out of time or memory: redo the batch one by one.
          for (let i = start; i < end; i++) out[i] = one(lists[i] as readonly JsonValue[]);
        }
      }
      return out;
    };

    const handle: ScriptHandle = Object.freeze({ hash, shape: inst.shape, run });
    handles.set(hash, handle);
    return handle;
  };

  return {
    limits: lim,
    load,
    dispose: () => {
      handles.clear();
      if (isolate !== undefined && !isolate.isDisposed) isolate.dispose();
      isolate = undefined;
    },
  };
}

/**
 * Packs lists made only of numbers into a Float64Array (and their lengths into a Uint32Array), the
 * cheap way across the isolate boundary: each array owns exactly its buffer, so isolated-vm copies
 * nothing more. Undefined when some value is not a number.
 */
function numericBatch(
  lists: readonly (readonly JsonValue[])[],
  from: number,
  to: number,
): { lengths: Uint32Array; data: Float64Array } | undefined {
  const lengths = new Uint32Array(to - from);
  // Most lists hold two values: size for that, grow if needed; one pass, bail out on a non-number.
  let data = new Float64Array((to - from) * 2);
  let p = 0;
  for (let i = from; i < to; i++) {
    const list = lists[i] as readonly JsonValue[];
    const n = list.length;
    lengths[i - from] = n;
    if (p + n > data.length) {
      const bigger = new Float64Array(Math.max(data.length * 2, p + n));
      bigger.set(data);
      data = bigger;
    }
    for (let k = 0; k < n; k++) {
      const v = list[k];
      if (typeof v !== "number") return undefined;
      data[p++] = v;
    }
  }
  // Exactly sized, so isolated-vm copies no more than the values.
  return { lengths, data: p === data.length ? data : data.slice(0, p) };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Checks that a value can be given to a script: JSON data only (no byte arrays, no -0). */
export function toJsonValue(input: unknown): JsonValue {
  const v = toValue(input);
  const check = (x: Value): void => {
    if (x instanceof Uint8Array)
      throw new ScriptError("SCRIPT_NON_JSON", "byte arrays cannot be given to resolver scripts");
    if (Object.is(x, -0)) throw new ScriptError("SCRIPT_NON_JSON", "-0 cannot be given to resolver scripts");
    if (Array.isArray(x)) for (const y of x) check(y);
    else if (typeof x === "object" && x !== null) for (const y of Object.values(x)) check(y as Value);
  };
  check(v);
  return v as JsonValue;
}
