/** `FREEZE`: the source text that freezes every built-in a sandbox context can reach. */

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
