/**
 * The prelude's closing: the locked `__converge` object the host calls (lock, set the factory,
 * read the shape, run, load / resume / take / skip a QuickJS batch, run numbers for isolated-vm).
 * It is one piece of the prelude's single function scope (see `prelude`), in the order there.
 */
export function preludeApi(): string {
  return `  // The host's functions take the key the host gave \`lock\` before any script code ran: the
  // script can reach \`__converge\`, but cannot load, resume, take or read a batch itself.
  let key;
  const locked = (k) => { if (key === undefined || k !== key) throw new ErrorCtor("the sandbox's own functions are the host's"); };
  const api = {
    lock(k) { if (key !== undefined) throw new ErrorCtor("the sandbox is locked"); key = k; },
    // A stateless script (the host proved it keeps nothing between calls) gets one instance, made
    // here, for every resolution; any other gets a fresh one per resolution.
    setFactory(f, one, stateless) {
      if (factory !== undefined) throw new ErrorCtor("factory already set");
      only = one === "merge" || one === "resolve" ? one : undefined;
      factory = f;
      if (stateless === true) {
        try { const inst = f(); if (typeof inst === "object" && inst !== null) freeze(inst); shared = inst; } catch { shared = undefined; }
      }
    },
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
    // (offsets and values in two ArrayBuffers) stores the lists, \`resume(max)\` resolves up to
    // \`max\` of them from where the last call stopped, \`take\` hands over how many finished since
    // the last take and their text rows (numbers wait in the buffer \`load\` returned), \`skip\` passes over a
    // list the host decided itself.
    load(k, kind, input, first) {
      locked(k);
      const lists = parse(input), n = lists.length, vals = [], offs = new Uint32(n + 1);
      let p = 0;
      // Values are frozen here, once: a resolution never sees an unfrozen value of its list.
      for (let i = 0; i < n; i++) { const list = lists[i], len = list.length; for (let j = 0; j < len; j++) { const v = list[j]; if (typeof v === "object" && v !== null) deepFreeze(v); vals[p++] = v; } offs[i + 1] = p; }
      return queueOf(kind, vals, offs, first, n);
    },
    // The host computes where each list starts (offsets: n + 1 of them, the last where the values end).
    loadNumeric(k, kind, offsetsBuffer, dataBuffer, first) {
      locked(k);
      const offs = new Uint32(offsetsBuffer), vals = new Float64(dataBuffer), n = offs.length - 1;
      if (n < 0 || offs[0] !== 0 || offs[n] !== vals.length) throw new ErrorCtor("the batch's offsets do not match its values");
      return queueOf(kind, vals, offs, first, n);
    },
    // One resolution per step, each with a fresh instance of the script (a stateless script's one
    // instance); nothing else is done per key (no list is built for a fold, the result stays in
    // the buffer when it is a number). The try is around the loop, not each key: a failure is
    // resolution i's row, and the loop goes on.
    resume(k, max) {
      locked(k);
      const vals = qVals, offs = qOffs, kind = qKind, fold = kind === "merge" && only === "merge", one = shared;
      let i = qNext;
      const stop = i + max < qN ? i + max : qN;
      while (i < stop) {
        try {
          while (i < stop) {
            charged = 0; exhausted = false;
            const s = offs[i], e = offs[i + 1];
            let r;
            if (fold) {
              // resolveOne's fold, inlined for the common case: merge sees only the values (frozen
              // when the batch was loaded) and the results before the last, frozen; the last
              // result is not frozen (nothing of the script sees it again). The factory of a
              // script declaring only merge returns it (a function, as its shape said).
              const merge = one !== undefined ? one : factory();
              r = vals[s];
              let p = s + 1;
              if (p < e) for (;;) {
                r = merge(r, vals[p]);
                if (++p === e) break;
                if (typeof r === "object" && r !== null) deepFreeze(r);
              }
            } else r = resolveOne(kind, listAt(vals, s, e));
            if (exhausted) throw new ErrorCtor(FUEL);
            // A finite number stays in the buffer as it is (the host reads -0 as 0); anything
            // else is a text row. A row and the step past it have no branch or call between them
            // (where an interrupt could fall): resolution i is never left half done.
            if (typeof r === "number" && r - r === 0) { nums[i] = r; qNext = ++i; }
            else { const text = textRow(i, r); partial[partial.length] = text; qNext = ++i; }
          }
        } catch (e) {
          // An interrupt belongs to the host, never to a row.
          if (isInterrupt(e)) throw e;
          const text = failRow(i, e); partial[partial.length] = text; qNext = ++i;
        }
      }
      charged = 0; exhausted = false;
    },
    take(k) { locked(k); const out = "[" + (qNext - qTaken) + ",[" + apply(join, partial, [","]) + "]]"; qTaken = qNext; partial = []; return out; },
    skip(k) { locked(k); qNext++; qTaken = qNext; },
    // All values are numbers (isolated-vm only): packed in a Float64Array with list lengths in a
    // Uint32Array; numeric results go back the same way, anything else as JSON rows in "extra".
    runNumeric(k, kind, lengths, data) {
      locked(k);
      const n = lengths.length, nums = new Float64(n), extra = [], fold = kind === "merge" && only === "merge", one = shared;
      let e = 0;
      for (let i = 0; i < n; i++) {
        const s = e;
        e = s + lengths[i];
        charged = 0; exhausted = false;
        try {
          let r;
          if (fold) {
            const merge = one !== undefined ? one : factory();
            if (typeof merge !== "function") throw new ErrorCtor("the script has no merge(a, b)");
            r = data[s];
            for (let p = s + 1; p < e; p++) {
              r = merge(r, data[p]);
              if (typeof r === "object" && r !== null) deepFreeze(r);
            }
          } else r = resolveOne(kind, listAt(data, s, e));
          if (exhausted) throw new ErrorCtor(FUEL);
          if (typeof r === "number" && r - r === 0) { nums[i] = r === 0 ? 0 : r; continue; }
          extra[extra.length] = "[" + i + ",0," + toJson(r, 0) + "]";
        } catch (x) {
          const [c, m] = describe(x);
          extra[extra.length] = "[" + i + ",1," + stringify(c) + "," + stringify(m) + "]";
        }
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
