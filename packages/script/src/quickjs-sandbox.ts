/**
 * One QuickJS context holding one script, and the fuel meter of its runtime: starting a sandbox
 * (prelude, lock, frozen built-ins, the script's factory) and reading a script's shape.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { ScriptError } from "./errors.ts";
import { FREEZE } from "./freeze-source.ts";
import { prelude } from "./prelude.ts";
import { quickJSModule } from "./quickjs-module.ts";
import { randomKey } from "./random-key.ts";
import { cleanMessage } from "./sandbox-marks.ts";
import { standaloneScript, wrapScript } from "./script-wrapper.ts";
import type { ScriptLimits, ScriptShape } from "./types.ts";

/** Elements of native loops one fuel unit pays for (see `nativeBudget` in prelude.ts). */
const ELEMENTS_PER_FUEL = 10_000;

/**
 * Fuel accounting of one runtime. QuickJS calls the interrupt handler once every fixed number of
 * interpreter steps; the handler counts those calls (`ticks`) and interrupts once more than
 * `limit` have happened since `start`.
 */
export interface Meter {
  ticks: number;
  start: number;
  limit: number;
  interrupted: boolean;
  /** Interrupts delivered since `start` (more than one, or one and a normal return: one was swallowed). */
  delivered: number;
}

/** One context holding one script (prelude, frozen built-ins, the script's factory). */
export interface Sandbox {
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

/** A fresh QuickJS runtime with the limits' memory and stack, and its fuel meter. */
export function newRuntime(lim: ScriptLimits): MeteredRuntime {
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

/** A runtime and the meter its interrupt handler counts on. */
export interface MeteredRuntime {
  readonly rt: QuickJSRuntime;
  readonly meter: Meter;
}

/** What a script declares, once its shape is known (the wrapper names only these). */
export interface Declared {
  readonly merge: boolean;
  readonly resolve: boolean;
  readonly values: boolean;
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

/** Starts a sandbox in `runtime` (or a fresh runtime of its own, disposed with it) running `body`. */
export function createSandbox(
  lim: ScriptLimits,
  body: string,
  declared: Declared | undefined,
  runtime?: MeteredRuntime,
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
export function readShape(sb: Sandbox, lim: ScriptLimits): ScriptShape {
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
