/**
 * JavaScript run inside each sandbox context (QuickJS or isolated-vm), before and after the
 * user's script. Kept as source text: it executes in the engine, never in the host.
 */

/** Marks messages of errors raised by the sandbox itself (not by the script); stripped before a message leaves. */
export const FORBIDDEN_MARK = "\u2063converge-nondeterminism\u2063";
export const NON_JSON_MARK = "\u2063converge-non-json\u2063";
export const TOO_LARGE_MARK = "\u2063converge-too-large\u2063";
export const FUEL_MARK = "\u2063converge-fuel\u2063";
const MARKS = [FORBIDDEN_MARK, NON_JSON_MARK, TOO_LARGE_MARK, FUEL_MARK];

/** Removes the sandbox's internal markers from a message. */
export function cleanMessage(message: string): string {
  let m = message;
  for (const mark of MARKS) m = m.split(mark).join("");
  return m;
}

/** Longest error message that leaves the engine (characters). */
export const MAX_MESSAGE = 500;

/** What the prelude is built for. */
export interface PreludeOptions {
  readonly engine: "quickjs" | "isolated-vm";
  readonly maxOutputBytes: number;
  /**
   * Elements the built-ins that loop in native code without checking for interruption (array
   * and string methods) may walk per resolution; past it the resolution is out of fuel.
   */
  readonly nativeBudget: number;
}

/**
 * Removes clocks, randomness, locale-dependent and shared-memory facilities; charges native
 * loops to the resolution's fuel; defines `__converge` (set the factory, read the shape, run a
 * batch).
 */
export function prelude(options: PreludeOptions): string {
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

  // Built-ins that walk an array-like or a string in native code never check for termination:
  // each call is charged its length before it runs, and a resolution that walks more than the
  // budget is out of fuel — the same count on every machine.
  const NATIVE_BUDGET = ${options.nativeBudget};
  let charged = 0, exhausted = false;
  const InternalErrorCtor = typeof g.InternalError === "function" ? g.InternalError : undefined;
  const isInterrupt = (e) => InternalErrorCtor !== undefined && e instanceof InternalErrorCtor && Object.getOwnPropertyDescriptor(e, "message")?.value === "interrupted";
  // One frozen error, thrown again and again: a script that catches it cannot make the host build errors.
  const FUEL_ERROR = freeze(new ErrorCtor(FUEL + "the script walked more than " + NATIVE_BUDGET + " elements in built-ins"));
  const charge = (n) => {
    charged += n;
    if (exhausted || charged > NATIVE_BUDGET) { exhausted = true; throw FUEL_ERROR; }
  };
  const lengthOf = (o) => { if (o === null || o === undefined) return 0; const n = NumberCtor(o.length); return n > 0 ? n : 0; };
  const guard = (proto, measure) => {
    for (const name of Reflect.ownKeys(proto)) {
      // Iteration steps through JavaScript (and its fast paths must stay intact): not charged.
      if (name === "constructor" || name === Symbol.iterator || name === "values" || name === "keys" || name === "entries") continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (d === undefined || typeof d.value !== "function") continue;
      const original = d.value;
      // Some QuickJS built-ins (sort) hand an interrupt on as an ordinary error: seen here, it ends
      // the resolution for good (every later built-in call fails at once).
      const wrapped = { [name](...args) { charge(measure(this, name, args)); try { return apply(original, this, args); } catch (e) { if (isInterrupt(e)) exhausted = true; throw e; } } }[name];
      Object.defineProperty(wrapped, "length", { value: original.length });
      Object.defineProperty(proto, name, { ...d, value: wrapped });
    }
  };
  const arrayMeasure = (o) => lengthOf(o);
  const stringMeasure = (s, name, args) => {
    const len = typeof s === "string" ? s.length : 0;
    if (name === "repeat") return len * (NumberCtor(args[0]) || 0);
    if (name === "padStart" || name === "padEnd") return len + (NumberCtor(args[0]) || 0);
    return len;
  };
  guard(Array.prototype, arrayMeasure);
  // Allocations are charged too (one element per 8 bytes), before they are tried: a loop of
  // failing allocations must not run for free.
  const charged8 = (n) => { const x = NumberCtor(n); return x > 0 ? x / 8 : 0; };
  const constructors = [[ArrayBuffer, (args) => charged8(args[0])]];
  for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
    constructors[constructors.length] = [T, (args) => (typeof args[0] === "object" && args[0] !== null ? lengthOf(args[0]) : NumberCtor(args[0]) > 0 ? NumberCtor(args[0]) : 0)];
  }
  for (const [Original, measure] of constructors) {
    const Charged = { [Original.name]: function (...args) {
      if (new.target === undefined) return apply(Original, undefined, args);
      charge(measure(args));
      return Reflect.construct(Original, args, new.target === Charged ? Original : new.target);
    } }[Original.name];
    Object.setPrototypeOf(Charged, getProto(Original));
    for (const k of Reflect.ownKeys(Original)) { if (k !== "prototype" && k !== "name" && k !== "length") { try { Object.defineProperty(Charged, k, Object.getOwnPropertyDescriptor(Original, k)); } catch {} } }
    Object.defineProperty(Charged, "prototype", { value: Original.prototype, writable: false });
    Object.defineProperty(Charged, "length", { value: Original.length });
    Object.defineProperty(Original.prototype, "constructor", { value: Charged, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(g, Original.name, { value: Charged, writable: true, configurable: true, enumerable: false });
  }
  guard(getProto(Int8Array.prototype), arrayMeasure);
  guard(String.prototype, stringMeasure);

  const MAX_DEPTH = 64;
  const MAX_OUTPUT = ${options.maxOutputBytes};
  const nonJson = (why) => { throw new ErrorCtor(NON_JSON + why); };
  // Strict JSON: refuses what JSON.stringify would silently drop or change.
  const toJson = (v, depth) => {
    if (depth > MAX_DEPTH) nonJson("nested deeper than 64 levels (or cyclic)");
    if (v === null) return "null";
    switch (typeof v) {
      case "boolean": return v ? "true" : "false";
      case "number": if (!isFinite(v)) nonJson("non-finite number " + StringCtor(v)); if (objectIs(v, -0)) return "0"; return stringify(v);
      case "string": if (v.length > MAX_OUTPUT) throw new ErrorCtor(TOO_LARGE); return stringify(v);
      case "object": {
        if (isArray(v)) {
          let s = "[";
          const n = v.length;
          for (let i = 0; i < n; i++) { if (i) s += ","; s += toJson(v[i], depth + 1); if (s.length > MAX_OUTPUT) throw new ErrorCtor(TOO_LARGE); }
          return s + "]";
        }
        const proto = getProto(v);
        if (proto !== ObjectProto && proto !== null) nonJson("an instance of a class");
        if (symbols(v).length > 0) nonJson("symbol keys");
        let s = "{"; let first = true;
        const ks = keys(v);
        for (let i = 0; i < ks.length; i++) { const k = ks[i]; if (!first) s += ","; first = false; s += stringify(k) + ":" + toJson(v[k], depth + 1); if (s.length > MAX_OUTPUT) throw new ErrorCtor(TOO_LARGE); }
        return s + "}";
      }
      default: nonJson("a " + typeof v);
    }
  };
  const deepFreeze = (v) => { if (typeof v === "object" && v !== null && !isFrozen(v)) { freeze(v); const ks = keys(v); for (let i = 0; i < ks.length; i++) deepFreeze(v[ks[i]]); } return v; };
  const cut = (s) => apply(strSlice, s, [0, MAX_MESSAGE]);
  let factory, only;
  // Only the sandbox's own strings leave: the kind, and a bounded message read without calling the script.
  const describe = (e) => {
    if (exhausted) return ["fuel", "the script ran out of fuel (built-ins walked more than " + NATIVE_BUDGET + " elements)"];
    let message;
    try {
      const d = (typeof e === "object" && e !== null) ? Object.getOwnPropertyDescriptor(e, "message") : undefined;
      message = d !== undefined && typeof d.value === "string" ? d.value : undefined;
    } catch { message = undefined; }
    if (message !== undefined) {
      const m = cut(message);
      if (/allocation failed|out of memory/i.test(m)) return ["oom", m];
      if (/stack overflow|call stack/i.test(m)) return ["stack", m];
      return [apply(strStartsWith, m, [FORBIDDEN]) ? "forbidden" : apply(strStartsWith, m, [NON_JSON]) ? "nonjson" : apply(strStartsWith, m, [TOO_LARGE]) ? "large" : "threw", m];
    }
    if (typeof e === "string") return ["threw", "threw a string: " + cut(e)];
    if (typeof e === "number" || typeof e === "boolean" || e === null || e === undefined) return ["threw", "threw " + StringCtor(e)];
    return ["threw", "threw a non-Error " + typeof e];
  };
  const begin = () => { charged = 0; exhausted = false; };
  // One resolution, with a fresh instance of the script: nothing carries over from one key to the next.
  const resolveOne = (kind, list) => {
    const f = factory();
    // A factory made for one declaration returns that function itself (no object to build per key).
    const fn = only === undefined ? (kind === "resolve" ? f.resolve : f.merge) : only === kind ? f : undefined;
    if (kind === "resolve") {
      if (typeof fn !== "function") throw new ErrorCtor("the script has no resolve(values)");
      return fn(deepFreeze(list));
    }
    const merge = fn;
    if (typeof merge !== "function") throw new ErrorCtor("the script has no merge(a, b)");
    // merge never sees the list itself, only its (frozen) values; primitives need no freezing
    // (and no call to find that out).
    let r = list[0];
    if (typeof r === "object" && r !== null) deepFreeze(r);
    const n = list.length;
    for (let i = 1; i < n; i++) {
      const b = list[i];
      if (typeof b === "object" && b !== null) deepFreeze(b);
      r = merge(r, b);
      if (typeof r === "object" && r !== null) deepFreeze(r);
    }
    return r;
  };
  // One row: [index, 0, json] or [index, 1, kind, message]. A result read after the budget ran out is not a result.
  const rowJson = (i, kind, list) => {
    try {
      const text = toJson(resolveOne(kind, list), 0);
      if (exhausted) throw new ErrorCtor(FUEL);
      if (text.length > MAX_OUTPUT) throw new ErrorCtor(TOO_LARGE);
      return "[" + i + ",0," + text + "]";
    } catch (e) {
      // An interrupt belongs to the host, never to a row.
      if (isInterrupt(e)) throw e;
      const [k, m] = describe(e);
      return "[" + i + ",1," + stringify(k) + "," + stringify(m) + "]";
    }
  };
  // QuickJS's row: a finite number is stored at its place in \`nums\` (no text, no call); anything
  // else is a text row, as above. The same code runs whatever the batch holds or how it came in,
  // so a resolution's fuel depends only on the script and its own values.
  let nums = new Float64(0), done = new Uint8(0);
  // Both in one buffer, which load returns to the host: n numbers, then n marks (1 where a number
  // is finished: the host reads no number it was not given).
  const results = (n) => { const b = new ArrayBufferCtor(n * 9); nums = new Float64(b, 0, n); done = new Uint8(b, n * 8, n); return b; };
  const row = (i, first, kind, list) => {
    try {
      let r;
      if (kind === "merge" && only === "merge") {
        // resolveOne's fold, inlined for the common case (a call less for every key).
        const merge = factory();
        if (typeof merge !== "function") throw new ErrorCtor("the script has no merge(a, b)");
        r = list[0];
        if (typeof r === "object" && r !== null) deepFreeze(r);
        const n = list.length;
        for (let k = 1; k < n; k++) {
          const b = list[k];
          if (typeof b === "object" && b !== null) deepFreeze(b);
          r = merge(r, b);
          if (typeof r === "object" && r !== null) deepFreeze(r);
        }
      } else r = resolveOne(kind, list);
      if (exhausted) throw new ErrorCtor(FUEL);
      if (typeof r === "number") {
        if (r - r !== 0) nonJson("non-finite number " + StringCtor(r));
        nums[i] = r === 0 ? 0 : r;
        done[i] = 1;
        return undefined;
      }
      const text = toJson(r, 0);
      if (exhausted) throw new ErrorCtor(FUEL);
      if (text.length > MAX_OUTPUT) throw new ErrorCtor(TOO_LARGE);
      return "[" + (first + i) + ",0," + text + "]";
    } catch (e) {
      if (isInterrupt(e)) throw e;
      const [k, m] = describe(e);
      return "[" + (first + i) + ",1," + stringify(k) + "," + stringify(m) + "]";
    }
  };
  let partial = [];
  let queue = { kind: "merge", lists: [], first: 0, next: 0, taken: 0 };
  // The host's functions take the key the host gave \`lock\` before any script code ran: the
  // script can reach \`__converge\`, but cannot load, resume, take or read a batch itself.
  let key;
  const locked = (k) => { if (key === undefined || k !== key) throw new ErrorCtor("the sandbox's own functions are the host's"); };
  const api = {
    lock(k) { if (key !== undefined) throw new ErrorCtor("the sandbox is locked"); key = k; },
    setFactory(f, one) { if (factory !== undefined) throw new ErrorCtor("factory already set"); factory = f; only = one === "merge" || one === "resolve" ? one : undefined; },
    // The script's declarations, or why its body failed (no error object ever leaves the sandbox).
    shape(k) {
      locked(k);
      try {
        begin();
        const f = factory();
        return stringify({ merge: typeof f.merge === "function", resolve: typeof f.resolve === "function", values: f.values === undefined ? null : parse(toJson(f.values, 0)) });
      } catch (e) {
        return stringify({ error: describe(e)[1] });
      }
    },
    // kind: "resolve" | "merge"; input: JSON array of value lists. Results as one JSON text, one row
    // per list, each carrying its list's index (the host checks both count and order).
    run(k, kind, input, first) {
      locked(k);
      const lists = parse(input);
      partial = [];
      const n = lists.length;
      for (let i = 0; i < n; i++) { begin(); apply(push, partial, [rowJson(first + i, kind, lists[i])]); }
      begin();
      const out = "[" + apply(join, partial, [","]) + "]";
      partial = [];
      return out;
    },
    // QuickJS: a batch the host may interrupt and resume. \`load\` (JSON text) or \`loadNumeric\`
    // (lengths and values in two ArrayBuffers) stores the lists, \`resume(max)\` resolves up to
    // \`max\` of them from where the last call stopped, \`take\` hands over how many finished since
    // the last take and their text rows (numbers wait in the buffer \`load\` returned), \`skip\` passes over a
    // list the host decided itself.
    load(k, kind, input, first) { locked(k); const lists = parse(input); queue = { kind, lists, first, next: 0, taken: 0 }; partial = []; return results(lists.length); },
    loadNumeric(k, kind, lengthsBuffer, dataBuffer, first) {
      locked(k);
      const lengths = new Uint32(lengthsBuffer), data = new Float64(dataBuffer);
      const n = lengths.length, lists = [];
      let p = 0;
      for (let i = 0; i < n; i++) {
        const len = lengths[i];
        if (len === 2) lists[i] = [data[p], data[p + 1]];
        else { const list = []; for (let k = 0; k < len; k++) list[k] = data[p + k]; lists[i] = list; }
        p += len;
      }
      queue = { kind, lists, first, next: 0, taken: 0 }; partial = [];
      return results(n);
    },
    resume(k, max) {
      locked(k);
      const q = queue, lists = q.lists, first = q.first, kind = q.kind;
      const stop = q.next + max < lists.length ? q.next + max : lists.length;
      while (q.next < stop) {
        charged = 0; exhausted = false;
        const i = q.next;
        const text = row(i, first, kind, lists[i]);
        if (text !== undefined) partial[partial.length] = text;
        q.next = i + 1;
      }
      charged = 0; exhausted = false;
    },
    take(k) { locked(k); const q = queue; const out = "[" + (q.next - q.taken) + ",[" + apply(join, partial, [","]) + "]]"; q.taken = q.next; partial = []; return out; },
    skip(k) { locked(k); queue.next++; queue.taken = queue.next; },
    // All values are numbers (isolated-vm only): packed in a Float64Array with list lengths in a
    // Uint32Array; numeric results go back the same way, anything else as JSON rows in "extra".
    runNumeric(k, kind, lengths, data) {
      locked(k);
      const n = lengths.length;
      const nums = new Float64(n);
      const extra = [];
      let p = 0;
      for (let i = 0; i < n; i++) {
        const len = lengths[i];
        const list = [];
        for (let k = 0; k < len; k++) apply(push, list, [data[p + k]]);
        p += len;
        begin();
        let text;
        try {
          const r = resolveOne(kind, list);
          if (exhausted) throw new ErrorCtor(FUEL);
          if (typeof r === "number" && isFinite(r) && !objectIs(r, -0)) { nums[i] = r; continue; }
          text = "[" + i + ",0," + toJson(r, 0) + "]";
        } catch (e) {
          const [k, m] = describe(e);
          text = "[" + i + ",1," + stringify(k) + "," + stringify(m) + "]";
        }
        apply(push, extra, [text]);
      }
      begin();
      return { nums, extra: "[" + apply(join, extra, [","]) + "]" };
    },
  };
  freeze(api);
  Object.defineProperty(g, "__converge", { value: api, writable: false, configurable: false, enumerable: false });
})();
`;
}

/**
 * Freezes every built-in reachable from the global object — and those reachable only through
 * instances (iterator, generator, async-function, RegExp-string-iterator, typed-array and
 * iterator-helper prototypes) — then checks that nothing reachable is left unfrozen, so a
 * context holds no state a script could write and another resolution read.
 */
export const FREEZE: string = `"use strict";
(() => {
  const seen = new Set();
  const stack = [];
  // Index stores, not push: the array methods are already charged to fuel.
  const visit = (v) => { if ((typeof v === "object" || typeof v === "function") && v !== null && !seen.has(v)) { seen.add(v); stack[stack.length] = v; } };
  const roots = [globalThis];
  const reach = [
    () => [][Symbol.iterator](), () => new Map().entries(), () => new Set().values(), () => ""[Symbol.iterator](),
    () => "a".matchAll(/a/g), () => (function* () {})(), () => (function* () {}), () => (async function () {}),
    () => (async function* () {}), () => (async function* () {})(), () => new Int8Array(0), () => Iterator.prototype.map.call([].values(), (x) => x),
    () => Iterator.from({ next() { return { done: true }; } }), () => Promise.resolve(), () => new ArrayBuffer(0), () => new DataView(new ArrayBuffer(0)),
    () => (function () { "use strict"; return arguments; })(), () => Object.getOwnPropertyDescriptor(Function.prototype, "caller"),
    () => new Error(), () => /a/, () => Symbol(), () => new Proxy({}, {}), () => new WeakMap(), () => new WeakSet(),
  ];
  for (const f of reach) { try { roots[roots.length] = f(); } catch {} }
  for (const r of roots) visit(r);
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    stack.length--;
    for (const k of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d === undefined) continue;
      if ("value" in d) visit(d.value); else { visit(d.get); visit(d.set); }
    }
    visit(Object.getPrototypeOf(v));
  }
  for (const v of seen) Object.freeze(v);
  for (const v of seen) if (!Object.isFrozen(v)) throw new Error("the sandbox could not freeze a built-in");
})();
`;

/**
 * Strips \`export\` before top-level declarations (scripts may be written as modules). Linear:
 * only spaces and tabs are matched around the keyword.
 */
export function stripExports(source: string): string {
  return source.replace(
    /^([ \t]*)export[ \t]+(?=(?:async[ \t]+)?function\b|const\b|let\b|var\b|class\b)/gm,
    "$1",
  );
}

/**
 * The text the engine must compile on its own, as a complete strict script, before
 * {@link wrapScript} may use the source: a source that compiles on its own cannot close the
 * factory it is placed in (the break-out `}); let n = 0; (function () {` does not compile).
 */
export function standaloneScript(body: string): string {
  return `"use strict";${body}\n`;
}

/**
 * Wraps a script body (already checked with {@link standaloneScript}) into a factory: every call
 * runs the body afresh and returns its \`merge\`, \`resolve\` and \`values\` declarations.
 */
export function wrapScript(
  body: string,
  declared?: { readonly merge: boolean; readonly resolve: boolean; readonly values: boolean },
): string {
  // Once the script's shape is known, name only what it declares: \`typeof\` on an undeclared name
  // is a slow global lookup, and the factory runs for every key.
  const member = (name: "merge" | "resolve" | "values", test: string): string =>
    declared === undefined ? test : declared[name] ? name : "void 0";
  if (declared !== undefined && declared.merge !== declared.resolve) {
    // One of the two: the factory returns it, and builds no object for every key.
    const one = declared.merge ? "merge" : "resolve";
    return `"use strict";
globalThis.__converge.setFactory(function () {
"use strict";
${body}
;return ${one};
}, "${one}");
`;
  }
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
