/**
 * The prelude's native-loop fuel: built-ins that walk an array-like or a string in native code
 * (and allocations) are charged their length before they run, against `nativeBudget` elements
 * per resolution.
 * It is one piece of the prelude's single function scope (see `prelude`), in the order there.
 */
export function preludeFuel(nativeBudget: number): string {
  return `  // Built-ins that walk an array-like or a string in native code never check for termination:
  // each call is charged its length before it runs, and a resolution that walks more than the
  // budget is out of fuel — the same count on every machine.
  const NATIVE_BUDGET = ${nativeBudget};
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

`;
}
