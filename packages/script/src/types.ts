import { ScriptError, type ScriptErrorCode } from "./errors.ts";
import { cleanMessage, MAX_MESSAGE } from "./sandbox-marks.ts";

/** The engines a script can run in. */
export type ScriptEngineName = "quickjs" | "isolated-vm";

/** Limits of the sandbox. */
export interface ScriptLimits {
  /** Heap of the engine, in MiB (shared by the scripts of one engine). Default 32. */
  readonly memoryMb: number;
  /**
   * QuickJS: work one resolution may do, in fuel units (one unit is one call of QuickJS's
   * interrupt handler, about 10,000 interpreter steps; the count depends only on the script, its
   * values and the pinned QuickJS build). Default 1000.
   */
  readonly fuel: number;
  /** QuickJS: work one `run` (one apply's batch) may do, in fuel units; the rest is deferred. Default 20,000. */
  readonly applyFuel: number;
  /** QuickJS: the interpreter's own stack, in KiB (fixed: part of the resolver id). Default 256. */
  readonly stackKb: number;
  /** isolated-vm: CPU time one resolution may take, in ms (wall-clock bound). Default 50. */
  readonly timeoutMs: number;
  /**
   * Time one `run` (one apply's batch) may take, in ms; the rest is deferred (read on its first
   * `get`). isolated-vm: the bound of the batch. QuickJS: a backstop for work fuel does not see,
   * such as garbage collection; it changes when a key is resolved, never what it reads. Default 1000.
   */
  readonly applyTimeoutMs: number;
  /** Largest result of one resolution, as JSON text length. Default 1 MiB. */
  readonly maxOutputBytes: number;
  /** Resolutions sent to the engine in one call. Default 16384. */
  readonly batchSize: number;
}

/** Options of `createScriptEngine`: the engine, its limits, and whether it is supervised. */
export interface ScriptEngineOptions extends Partial<ScriptLimits> {
  /**
   * `"quickjs"` (default): deterministic fuel, memory and stack limits — every replica reads the
   * same, even at the limits. `"isolated-vm"`: faster, limited by wall-clock time, the one place
   * where reads can differ at the limit (Node entry only).
   */
  readonly engine?: ScriptEngineName;
  /**
   * Run the engine in a supervised child process (a watchdog ends hangs, a fatal error ends only
   * the child). Default true for isolated-vm, false for QuickJS (which runs in the caller's thread
   * and in browsers; its limits are its own). Node entry only.
   */
  readonly supervised?: boolean;
}

/** Default limits. */
export const DEFAULT_LIMITS: ScriptLimits = Object.freeze({
  memoryMb: 32,
  fuel: 1000,
  applyFuel: 20_000,
  stackKb: 256,
  timeoutMs: 50,
  applyTimeoutMs: 1000,
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

/**
 * The outcome of one resolution at the sandbox boundary. With QuickJS, `fuel` is the fuel the
 * resolution used (deterministic); isolated-vm reports none.
 */
export type ScriptResult =
  | { readonly ok: true; readonly value: JsonValue; readonly fuel?: number }
  | { readonly ok: false; readonly error: ScriptError; readonly fuel?: number };

/** What a loaded script declares. */
export interface ScriptShape {
  readonly merge: boolean;
  readonly resolve: boolean;
  /** The script's `values` declaration (a value schema for `converge verify`), if any. */
  readonly values: JsonValue | null;
}

/** What the last `run` of a handle cost. */
export interface RunStats {
  readonly engine: ScriptEngineName;
  /** Resolutions in the run. */
  readonly resolutions: number;
  /** QuickJS: fuel used by the whole run (reruns included); 0 with isolated-vm. */
  readonly fuel: number;
  /** QuickJS: the most fuel one resolution used; 0 with isolated-vm. */
  readonly maxFuel: number;
  /** Wall-clock time of the run, ms (informative only). */
  readonly ms: number;
}

/** A compiled, validated script. */
export interface ScriptHandle {
  /** SHA-256 of the source, hex. */
  readonly hash: string;
  readonly shape: ScriptShape;
  /** The engine and the limits that decide its verdicts, e.g. `quickjs-0.32.0.r4.f1000.m32.s256`. */
  readonly engineTag: string;
  /**
   * Resolves each list of values in the sandbox: with `resolve(values)`, or by folding
   * `merge(a, b)` left to right. Batched: one call into the engine per `batchSize` lists.
   * Resolutions past the run's budget fail with `SCRIPT_APPLY_BUDGET` (read them again later).
   */
  readonly run: (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]) => ScriptResult[];
  /** What the last `run` cost (fuel with QuickJS). */
  readonly lastRun: () => RunStats;
}

/** Loads scripts into one engine. */
export interface ScriptEngine {
  readonly name: ScriptEngineName;
  readonly limits: ScriptLimits;
  /**
   * Compiles `source` (cached by hash), runs it once to read its shape, and returns a handle.
   * @throws ScriptError `SCRIPT_LOAD` (syntax error, imports, neither merge nor resolve) or
   *   `SCRIPT_UNAVAILABLE` (the engine cannot be loaded).
   */
  readonly load: (source: string) => ScriptHandle;
  /** Frees the engine; later loads start a new one. */
  readonly dispose: () => void;
}

/** Row kinds the sandbox reports, and their error codes. */
export const KIND_TO_CODE: Readonly<Record<string, ScriptErrorCode>> = Object.freeze({
  threw: "SCRIPT_THREW",
  stack: "SCRIPT_THREW",
  forbidden: "SCRIPT_NONDETERMINISM",
  nonjson: "SCRIPT_NON_JSON",
  large: "SCRIPT_RESULT_TOO_LARGE",
  oom: "SCRIPT_OUT_OF_MEMORY",
  fuel: "SCRIPT_OUT_OF_FUEL",
});

/** A row as the sandbox writes it: `[index, 0, value]` or `[index, 1, kind, message]`. */
export type Row = readonly [number, 0, JsonValue] | readonly [number, 1, string, string];

/** A failure of one resolution, with a message that is bounded and free of internal markers. */
export function failure(code: ScriptErrorCode, message: string, fuel?: number): ScriptResult {
  const error = new ScriptError(code, cleanMessage(message).slice(0, MAX_MESSAGE));
  return fuel === undefined ? { ok: false, error } : { ok: false, error, fuel };
}

/**
 * Parses the rows of lists `[from, to)` into `out`. Rows are tied to keys by the index they
 * carry: a row out of place, a missing or an extra row fails the batch with
 * `SCRIPT_ROW_MISMATCH` — never another key's value.
 */
export function acceptRows(text: string, from: number, to: number, out: (ScriptResult | undefined)[]): void {
  const rows = JSON.parse(text) as Row[];
  if (!Array.isArray(rows) || rows.length !== to - from) {
    throw new ScriptError(
      "SCRIPT_ROW_MISMATCH",
      `the sandbox returned ${rows.length} rows for ${to - from} lists`,
    );
  }
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Row;
    if (!Array.isArray(row) || row[0] !== from + i) {
      throw new ScriptError("SCRIPT_ROW_MISMATCH", `the sandbox returned a row out of place at ${from + i}`);
    }
    out[from + i] =
      row[1] === 0
        ? { ok: true, value: deepFreeze(row[2]) }
        : failure(KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", row[3]);
  }
}

export function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
