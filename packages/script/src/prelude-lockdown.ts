import { FORBIDDEN_MARK, FUEL_MARK, MAX_MESSAGE, NON_JSON_MARK, TOO_LARGE_MARK } from "./sandbox-marks.ts";

/**
 * The prelude's opening: removes clocks, randomness, locale-dependent and shared-memory
 * facilities and RegExp's legacy statics, then takes the host's own copies of the built-ins it
 * uses, before the script can see anything.
 * It is one piece of the prelude's single function scope (see `prelude`), in the order there.
 */
export function preludeLockdown(): string {
  return `"use strict";
(() => {
  const g = globalThis;
  // No stack frames in errors: a script must not see the host's call path (which batch path its key took).
  try { Error.stackTraceLimit = 0; } catch {}
  const FORBIDDEN = ${JSON.stringify(FORBIDDEN_MARK)}, NON_JSON = ${JSON.stringify(NON_JSON_MARK)}, TOO_LARGE = ${JSON.stringify(TOO_LARGE_MARK)}, FUEL = ${JSON.stringify(FUEL_MARK)};
  const MAX_MESSAGE = ${MAX_MESSAGE};
  const forbidden = (what) => function () { throw new Error(FORBIDDEN + what + " is not available to resolver scripts (results must not depend on the machine)"); };
  for (const name of ["WebAssembly", "SharedArrayBuffer", "Atomics", "WeakRef", "FinalizationRegistry", "Intl", "performance", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask", "console", "navigator", "os", "std"]) {
    try { delete g[name]; } catch {}
  }
  const NoDate = forbidden("Date");
  NoDate.now = forbidden("Date.now");
  NoDate.parse = forbidden("Date.parse");
  NoDate.UTC = forbidden("Date.UTC");
  Object.defineProperty(g, "Date", { value: NoDate, writable: false, configurable: false });
  Math.random = forbidden("Math.random");
  for (const [proto, names] of [
    [String.prototype, ["localeCompare", "toLocaleLowerCase", "toLocaleUpperCase"]],
    [Number.prototype, ["toLocaleString"]],
    [Array.prototype, ["toLocaleString"]],
    [Object.prototype, ["toLocaleString"]],
    [BigInt.prototype, ["toLocaleString"]],
  ]) for (const n of names) { try { proto[n] = forbidden(n); } catch {} }
  // RegExp's legacy statics (RegExp.$1, lastMatch…) would carry state from one call to the next.
  for (const n of ["$1","$2","$3","$4","$5","$6","$7","$8","$9","input","$_","lastMatch","$&","lastParen","$+","leftContext","$\`","rightContext","$'"]) {
    try { delete RegExp[n]; } catch {}
  }

  // The host's own copies of what it uses, taken before the script can see anything.
  const apply = Reflect.apply, keys = Object.keys, freeze = Object.freeze, isFrozen = Object.isFrozen;
  const getProto = Object.getPrototypeOf, isArray = Array.isArray, symbols = Object.getOwnPropertySymbols;
  const stringify = JSON.stringify, parse = JSON.parse, isFinite = Number.isFinite, objectIs = Object.is;
  const ObjectProto = Object.prototype, StringCtor = String, NumberCtor = Number, ErrorCtor = Error;
  const strSlice = String.prototype.slice, strStartsWith = String.prototype.startsWith;
  const Float64 = Float64Array, Uint32 = Uint32Array, Uint8 = Uint8Array, ArrayBufferCtor = ArrayBuffer, push = Array.prototype.push, join = Array.prototype.join;
  const typedFill = getProto(Int8Array.prototype).fill;

`;
}
