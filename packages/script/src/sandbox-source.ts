/**
 * JavaScript run inside each sandbox context, before and after the user's script. Kept as source
 * text: it executes in the isolate, never in the host.
 */

/** Marks messages of errors raised by the sandbox itself (not by the script). */
export const FORBIDDEN_MARK = "\u2063converge-nondeterminism\u2063";
export const NON_JSON_MARK = "\u2063converge-non-json\u2063";
export const TOO_LARGE_MARK = "\u2063converge-too-large\u2063";

/**
 * Removes clocks, randomness, locale-dependent and shared-memory facilities; defines `__converge`
 * (set the factory, run a batch). `MAX_OUTPUT` is replaced by the output limit.
 */
export const PRELUDE: string = `"use strict";
(() => {
  const g = globalThis;
  const forbidden = (what) => function () { throw new Error(${JSON.stringify(FORBIDDEN_MARK)} + what + " is not available to resolver scripts (results must not depend on the machine)"); };
  for (const name of ["WebAssembly", "SharedArrayBuffer", "Atomics", "WeakRef", "FinalizationRegistry", "Intl", "performance", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask", "console"]) {
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
  ]) for (const n of names) proto[n] = forbidden(n);
  // RegExp's legacy statics (RegExp.$1, lastMatch…) would carry state from one call to the next.
  for (const n of ["$1","$2","$3","$4","$5","$6","$7","$8","$9","input","$_","lastMatch","$&","lastParen","$+","leftContext","$\`","rightContext","$'"]) {
    try { delete RegExp[n]; } catch {}
  }
  const MAX_DEPTH = 64;
  const MAX_OUTPUT = __MAX_OUTPUT__;
  const nonJson = (why) => { throw new Error(${JSON.stringify(NON_JSON_MARK)} + why); };
  // Strict JSON: refuses what JSON.stringify would silently drop or change.
  const toJson = (v, depth) => {
    if (depth > MAX_DEPTH) nonJson("nested deeper than 64 levels (or cyclic)");
    if (v === null) return "null";
    switch (typeof v) {
      case "boolean": return v ? "true" : "false";
      case "number": if (!Number.isFinite(v)) nonJson("non-finite number " + String(v)); return JSON.stringify(v);
      case "string": return JSON.stringify(v);
      case "object": {
        if (Array.isArray(v)) {
          let s = "[";
          for (let i = 0; i < v.length; i++) { if (i) s += ","; s += toJson(v[i], depth + 1); if (s.length > MAX_OUTPUT) throw new Error(${JSON.stringify(TOO_LARGE_MARK)}); }
          return s + "]";
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) nonJson("an instance of " + (proto && proto.constructor && proto.constructor.name || "a class"));
        let s = "{"; let first = true;
        for (const k of Object.keys(v)) { if (!first) s += ","; first = false; s += JSON.stringify(k) + ":" + toJson(v[k], depth + 1); if (s.length > MAX_OUTPUT) throw new Error(${JSON.stringify(TOO_LARGE_MARK)}); }
        if (Object.getOwnPropertySymbols(v).length > 0) nonJson("symbol keys");
        return s + "}";
      }
      default: nonJson("a " + typeof v);
    }
  };
  const deepFreeze = (v) => { if (typeof v === "object" && v !== null && !Object.isFrozen(v)) { Object.freeze(v); for (const k of Object.keys(v)) deepFreeze(v[k]); } return v; };
  let factory;
  const describe = (e) => {
    if (e instanceof Error && /allocation failed|out of memory/i.test(String(e.message))) return ["oom", String(e.message).slice(0, 500)];
    if (e instanceof Error) return [e.message.startsWith(${JSON.stringify(FORBIDDEN_MARK)}) ? "forbidden" : e.message.startsWith(${JSON.stringify(NON_JSON_MARK)}) ? "nonjson" : e.message.startsWith(${JSON.stringify(TOO_LARGE_MARK)}) ? "large" : "threw", String(e.message).slice(0, 500)];
    let text; try { text = typeof e === "symbol" ? e.toString() : String(e); } catch { text = "an unprintable value"; }
    return ["threw", "threw a non-Error: " + text.slice(0, 500)];
  };
  // One resolution, with a fresh instance of the script: nothing carries over from one key to the next.
  const resolveOne = (kind, list) => {
    const f = factory();
    if (kind === "resolve") {
      if (typeof f.resolve !== "function") throw new Error("the script has no resolve(values)");
      return f.resolve(deepFreeze(list));
    }
    if (typeof f.merge !== "function") throw new Error("the script has no merge(a, b)");
    // merge never sees the list itself, only its (frozen) values; primitives need no freezing.
    let r = deepFreeze(list[0]);
    for (let i = 1; i < list.length; i++) r = deepFreeze(f.merge(r, deepFreeze(list[i])));
    return r;
  };
  // One resolution of a list of numbers data[at, at + len).
  const numericOne = (kind, data, at, len) => {
    if (kind === "merge") {
      // Numbers need no list and no freezing: fold merge over them directly.
      const f = factory();
      if (typeof f.merge !== "function") throw new Error("the script has no merge(a, b)");
      let r = data[at];
      for (let k = 1; k < len; k++) r = deepFreeze(f.merge(r, data[at + k]));
      return r;
    }
    // push, not new Array(len) + stores: with Array.prototype frozen, indexed stores take V8's slow path.
    const list = [];
    for (let k = 0; k < len; k++) list.push(data[at + k]);
    return resolveOne(kind, list);
  };
  const api = {
    setFactory(f) { if (factory !== undefined) throw new Error("factory already set"); factory = f; },
    shape() { const f = factory(); return JSON.stringify({ merge: typeof f.merge === "function", resolve: typeof f.resolve === "function", values: f.values === undefined ? null : JSON.parse(toJson(f.values, 0)) }); },
    // kind: "resolve" | "merge"; input: JSON array of value lists (canonical order). One fresh
    // instance of the script per list, so nothing carries over from one key to the next.
    run(kind, input) {
      const lists = JSON.parse(input);
      // Results as one JSON text: [0, <value>] or [1, <kind>, <message>] per list.
      let out = "[";
      for (const list of lists) {
        try {
          const text = toJson(resolveOne(kind, list), 0);
          if (text.length > MAX_OUTPUT) throw new Error(${JSON.stringify(TOO_LARGE_MARK)});
          out += (out.length > 1 ? ",[0," : "[0,") + text + "]";
        } catch (e) {
          const [k, m] = describe(e);
          out += (out.length > 1 ? ",[1," : "[1,") + JSON.stringify(k) + "," + JSON.stringify(m) + "]";
        }
      }
      return out + "]";
    },
    // All values are numbers: they arrive packed in a Float64Array (list lengths in a Uint32Array),
    // and numeric results go back the same way; anything else travels as JSON text in "extra".
    runNumeric(kind, lengths, data) {
      const n = lengths.length;
      const nums = new Float64Array(n);
      const extra = [];
      let p = 0;
      for (let i = 0; i < n; i++) {
        const len = lengths[i];
        const at = p;
        p += len;
        try {
          // One call per list (not one long loop body): compiled once, not on the stack per batch.
          const r = numericOne(kind, data, at, len);
          if (typeof r === "number" && Number.isFinite(r) && !Object.is(r, -0)) nums[i] = r;
          else {
            const text = toJson(r, 0);
            if (text.length > MAX_OUTPUT) throw new Error(${JSON.stringify(TOO_LARGE_MARK)});
            extra.push([i, 0, text]);
          }
        } catch (e) {
          const [k, m] = describe(e);
          extra.push([i, 1, k, m]);
        }
      }
      return { nums, extra: JSON.stringify(extra) };
    },
  };
  Object.freeze(api);
  Object.defineProperty(g, "__converge", { value: api, writable: false, configurable: false, enumerable: false });
})();
`;

/** Freezes every built-in reachable from the global object, and the global object itself. */
export const FREEZE: string = `"use strict";
(() => {
  const seen = new Set();
  const freeze = (v) => {
    if ((typeof v !== "object" && typeof v !== "function") || v === null || seen.has(v)) return;
    seen.add(v);
    for (const k of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d === undefined) continue;
      if ("value" in d) freeze(d.value);
      else { freeze(d.get); freeze(d.set); }
    }
    freeze(Object.getPrototypeOf(v));
    Object.freeze(v);
  };
  freeze(globalThis);
})();
`;

/**
 * Wraps a user script into a factory: every call runs the script body afresh and returns its
 * \`merge\`, \`resolve\` and \`values\` declarations. \`export\` before a top-level declaration is allowed.
 */
export function wrapScript(
  source: string,
  declared?: { readonly merge: boolean; readonly resolve: boolean; readonly values: boolean },
): string {
  const body = source.replace(/^(\s*)export\s+(?=(async\s+)?function\b|const\b|let\b|var\b|class\b)/gm, "$1");
  // Once the script's shape is known, name only what it declares: \`typeof\` on an undeclared name
  // is a slow global lookup, and the factory runs for every key.
  const member = (name: "merge" | "resolve" | "values", test: string): string =>
    declared === undefined ? test : declared[name] ? name : "undefined";
  return `"use strict";
globalThis.__converge.setFactory(function () {
"use strict";
${body}
;return {
  merge: ${member("merge", 'typeof merge === "function" ? merge : undefined')},
  resolve: ${member("resolve", 'typeof resolve === "function" ? resolve : undefined')},
  values: ${member("values", 'typeof values === "undefined" ? undefined : values')},
};
});
`;
}
