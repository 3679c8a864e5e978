/**
 * The prelude's resolutions: strict JSON out (at most `maxOutputBytes`), the bounded description
 * of a failure, one resolution with a fresh instance of the script, and the rows a batch returns
 * (text rows, or QuickJS's numbers in a typed array).
 * It is one piece of the prelude's single function scope (see `prelude`), in the order there.
 */
export function preludeRows(maxOutputBytes: number): string {
  return `  const MAX_DEPTH = 64;
  const MAX_OUTPUT = ${maxOutputBytes};
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
  // \`shared\`: the one instance of a stateless script (undefined: a fresh one per resolution).
  let factory, only, shared, partial = [];
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
  // One resolution, with a fresh instance of the script (or a stateless script's one instance):
  // nothing carries over from one key to the next.
  const resolveOne = (kind, list) => {
    const f = shared !== undefined ? shared : factory();
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
  // QuickJS's batch, as the queue load stores it: every list's values one after the other in
  // \`qVals\` (a Float64Array when they are all numbers, else an array) and where list i starts in
  // \`qOffs[i]\` (it ends at \`qOffs[i + 1]\`). resume reads both kinds the same way, with the same
  // code, so a resolution's fuel depends only on the script and its own values.
  let qKind = "merge", qVals = [], qOffs = new Uint32(1), qFirst = 0, qN = 0, qNext = 0, qTaken = 0;
  let nums = new Float64(0);
  // The results, in a buffer load returns to the host: n numbers, NaN until a finite number is
  // finished there (a resolution's number is never NaN: the host reads no number it was not given).
  const queueOf = (kind, vals, offs, first, n) => {
    qKind = kind; qVals = vals; qOffs = offs; qFirst = first; qN = n; qNext = 0; qTaken = 0; partial = [];
    nums = new Float64(n); apply(typedFill, nums, [NaN]); return nums.buffer;
  };
  // Values [s, e) of the queue as a fresh array (resolve(values), and merges of scripts declaring both).
  const listAt = (vals, s, e) => { const list = []; for (let p = s; p < e; p++) list[p - s] = vals[p]; return list; };
  // A result that is not a finished number: its text row (a non-finite number is refused here).
  const textRow = (i, r) => {
    const text = toJson(r, 0);
    if (exhausted) throw new ErrorCtor(FUEL);
    if (text.length > MAX_OUTPUT) throw new ErrorCtor(TOO_LARGE);
    return "[" + (qFirst + i) + ",0," + text + "]";
  };
  const failRow = (i, e) => { const [k, m] = describe(e); return "[" + (qFirst + i) + ",1," + stringify(k) + "," + stringify(m) + "]"; };
`;
}
