/**
 * The prelude's closing: the locked `__converge` object the host calls (lock, set the factory,
 * read the shape, run, load / resume / take / skip a QuickJS batch, run numbers for isolated-vm).
 * It is one piece of the prelude's single function scope (see `prelude`), in the order there.
 */
export function preludeApi(): string {
  return `  let partial = [];
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
