import { InvalidValueError } from "./errors.ts";
import type { Reader } from "./reader.ts";
import { MAX_ZIGZAG, type Writer } from "./writer.ts";

/**
 * A value a register can hold: JSON-compatible data plus byte arrays. Numbers must be finite
 * (`-0` is kept as `-0`); objects are plain objects whose key order is preserved; strings must be
 * well-formed UTF-16. Stored values are deep-frozen.
 */
export type Value = null | boolean | number | string | Uint8Array | readonly Value[] | ValueObject;

/** A plain object of {@link Value}s. */
export interface ValueObject {
  readonly [key: string]: Value;
}

/** Deepest nesting of arrays and objects accepted in a value. */
export const MAX_VALUE_DEPTH = 64;

/** @internal Value tags (see docs/FORMAT.md, "Values"). */
export const Tag = {
  Null: 0,
  False: 1,
  True: 2,
  Int: 3,
  Float: 4,
  String: 5,
  Array: 6,
  Object: 7,
  Bytes: 8,
} as const;

/**
 * Checks that `input` is a {@link Value}, and returns it deep-frozen (plain objects and arrays are
 * frozen in place, or copied when already frozen and holding byte arrays; byte arrays are copied
 * as plain `Uint8Array`s, since a typed array cannot be frozen). A byte array is a leaf, like a
 * string: it may sit at depth 64, as in a decoded value.
 *
 * @throws InvalidValueError (`INVALID_VALUE`) for `undefined`, functions, symbols, bigints,
 *   non-finite numbers, class instances, cycles, ill-formed strings or nesting deeper than 64.
 */
export function toValue(input: unknown, depth = 0): Value {
  if (input === null || typeof input === "boolean") return input;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new InvalidValueError(`number ${input} is not finite`);
    return input;
  }
  if (typeof input === "string") {
    if (!input.isWellFormed()) throw new InvalidValueError("string contains a lone surrogate");
    return input;
  }
  if (typeof input !== "object") throw new InvalidValueError(`a ${typeof input} is not a storable value`);
  // A leaf, as in a decoded value: a copy, as a plain Uint8Array (a subclass's slice may share
  // memory: Node's `Buffer.slice` is a view).
  if (input instanceof Uint8Array) return new Uint8Array(input);
  if (depth >= MAX_VALUE_DEPTH) throw new InvalidValueError(`value nested deeper than ${MAX_VALUE_DEPTH}`);
  if (Array.isArray(input)) {
    let out = input;
    for (let i = 0; i < out.length; i++) {
      const item = toValue(out[i], depth + 1);
      if (item === out[i]) continue;
      // A frozen array (a value read back from a map) is copied, not edited.
      if (Object.isFrozen(out)) out = [...out];
      out[i] = item;
    }
    return Object.freeze(out) as readonly Value[];
  }
  const proto = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidValueError(`a ${proto?.constructor?.name ?? "class"} instance is not a plain object`);
  }
  let obj = input as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!key.isWellFormed()) throw new InvalidValueError("object key contains a lone surrogate");
    const item = toValue(obj[key], depth + 1);
    if (item === obj[key]) continue;
    if (Object.isFrozen(obj)) obj = { ...obj };
    obj[key] = item;
  }
  if (Object.getOwnPropertySymbols(obj).length > 0)
    throw new InvalidValueError("symbol keys are not storable");
  return Object.freeze(obj) as ValueObject;
}

function typeRank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case "boolean":
      return 1;
    case "number":
      return 2;
    case "string":
      return 3;
    default:
      return v instanceof Uint8Array ? 4 : Array.isArray(v) ? 5 : 6;
  }
}

/**
 * A total order on values, used by max/min registers and to order concurrent values:
 * null < booleans < numbers < strings < byte arrays < arrays < objects; within a type the natural
 * order (false < true; numeric with -0 < 0; strings by UTF-16 code units; bytes, arrays and
 * objects lexicographically, objects as their [key, value] entries in stored order).
 * Returns -1, 0 or 1; 0 exactly when the two values encode to the same bytes.
 */
export function compareValues(a: Value, b: Value): -1 | 0 | 1 {
  if (a === b && typeof a !== "number") return 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a === false ? -1 : 1;
    case 2: {
      const x = a as number;
      const y = b as number;
      if (x !== y) return x < y ? -1 : 1;
      const nx = Object.is(x, -0);
      const ny = Object.is(y, -0);
      return nx === ny ? 0 : nx ? -1 : 1;
    }
    case 3:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 4: {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return (x[i] as number) < (y[i] as number) ? -1 : 1;
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 5: {
      const x = a as readonly Value[];
      const y = b as readonly Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    default: {
      const x = Object.entries(a as ValueObject);
      const y = Object.entries(b as ValueObject);
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const [kx, vx] = x[i] as [string, Value];
        const [ky, vy] = y[i] as [string, Value];
        if (kx !== ky) return kx < ky ? -1 : 1;
        const c = compareValues(vx, vy);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
  }
}

/** Writes a value (see docs/FORMAT.md, "Values"). */
export function writeValue(w: Writer, v: Value): void {
  if (v === null) {
    w.byte(Tag.Null);
  } else if (typeof v === "boolean") {
    w.byte(v ? Tag.True : Tag.False);
  } else if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) <= MAX_ZIGZAG && !Object.is(v, -0)) {
      w.byte(Tag.Int);
      w.int(v);
    } else {
      w.byte(Tag.Float);
      w.float64(v);
    }
  } else if (typeof v === "string") {
    w.byte(Tag.String);
    w.string(v);
  } else if (v instanceof Uint8Array) {
    w.byte(Tag.Bytes);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.byte(Tag.Array);
    w.uint(v.length);
    for (const item of v as readonly Value[]) writeValue(w, item);
  } else {
    const entries = Object.entries(v as ValueObject);
    w.byte(Tag.Object);
    w.uint(entries.length);
    for (const [k, item] of entries) {
      w.string(k);
      writeValue(w, item);
    }
  }
}

/** Limits applied while decoding values. */
export interface ValueLimits {
  /** Largest string or byte array, in bytes. */
  readonly maxStringBytes: number;
}

/** Largest array index: JavaScript enumerates keys "0" to "4294967294" first, in numeric order. */
const MAX_ARRAY_INDEX = 2 ** 32 - 2;

/** `key` as an array index (a canonical decimal integer in 0..2^32 - 2), else -1. */
function arrayIndex(key: string): number {
  const n = key.length;
  if (n === 0 || n > 10) return -1;
  const c0 = key.charCodeAt(0);
  if (c0 < 0x30 || c0 > 0x39 || (c0 === 0x30 && n > 1)) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v <= MAX_ARRAY_INDEX ? v : -1;
}

/** Reads a value written by {@link writeValue}; the result is deep-frozen. */
export function readValue(r: Reader, limits: ValueLimits, depth = 0): Value {
  const tag = r.byte();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Int: {
      const v = r.int();
      // The writer uses the float form beyond this magnitude: refuse the non-canonical form.
      if (Math.abs(v) > MAX_ZIGZAG) r.fail("integer beyond 2^52 - 1 encoded as an int");
      return v;
    }
    case Tag.Float: {
      const v = r.float64();
      if (!Number.isFinite(v)) r.fail("non-finite float");
      if (Number.isInteger(v) && Math.abs(v) <= MAX_ZIGZAG && !Object.is(v, -0))
        r.fail("small integer encoded as a float");
      return v;
    }
    case Tag.String:
      return r.string(limits.maxStringBytes);
    case Tag.Bytes:
      return r.bytes(limits.maxStringBytes);
    case Tag.Array: {
      if (depth >= MAX_VALUE_DEPTH) r.fail("value nested too deep");
      const n = r.count(1, "array item");
      const out: Value[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, limits, depth + 1);
      return Object.freeze(out);
    }
    case Tag.Object: {
      if (depth >= MAX_VALUE_DEPTH) r.fail("value nested too deep");
      const n = r.count(2, "object entry");
      const out: Record<string, Value> = {};
      // The keys must come in the order JavaScript enumerates them (array-index keys first, in
      // ascending order, then the others), which is the order the writer found them in; an object
      // built from any other order would enumerate, and so re-encode, differently.
      let named = false;
      let lastIndex = -1;
      for (let i = 0; i < n; i++) {
        const k = r.string(limits.maxStringBytes);
        const index = arrayIndex(k);
        if (index >= 0) {
          if (named || index <= lastIndex)
            r.fail(
              `object key ${JSON.stringify(k)} out of JavaScript property order (array-index keys first, ascending)`,
            );
          lastIndex = index;
        } else named = true;
        if (Object.hasOwn(out, k)) r.fail(`duplicate object key ${JSON.stringify(k)}`);
        // defineProperty, so a key named "__proto__" is stored as data and never changes the prototype.
        Object.defineProperty(out, k, {
          value: readValue(r, limits, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return Object.freeze(out);
    }
    default:
      return r.fail(`unknown value tag ${tag}`);
  }
}
