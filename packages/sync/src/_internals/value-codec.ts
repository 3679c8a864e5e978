import type { Value } from "@converge/core";
import type { Reader, Writer } from "@converge/core/codec";

/** Deepest nesting a frame's value may have (as in core's payloads). */
const MAX_DEPTH = 64;

/**
 * Writes a {@link Value} (presence states, manifests) with the tags of docs/FORMAT.md's value
 * table: 0 null, 1 false, 2 true, 3 int, 4 float64, 5 string, 6 array, 7 object, 8 bytes.
 * @throws RangeError for something that is not a Value (the caller checks first).
 */
export function writeFrameValue(w: Writer, v: Value, depth = 0): void {
  if (depth > MAX_DEPTH) throw new RangeError("value nested too deeply");
  if (v === null) w.byte(0);
  else if (v === false) w.byte(1);
  else if (v === true) w.byte(2);
  else if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 52 && !Object.is(v, -0)) {
      w.byte(3);
      w.int(v);
    } else {
      if (!Number.isFinite(v)) throw new RangeError("a value's number must be finite");
      w.byte(4);
      w.float64(v);
    }
  } else if (typeof v === "string") {
    w.byte(5);
    w.string(v);
  } else if (v instanceof Uint8Array) {
    w.byte(8);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.byte(6);
    w.uint(v.length);
    for (const item of v as readonly Value[]) writeFrameValue(w, item, depth + 1);
  } else if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, Value>);
    w.byte(7);
    w.uint(entries.length);
    for (const [k, item] of entries) {
      w.string(k);
      writeFrameValue(w, item, depth + 1);
    }
  } else throw new RangeError(`not a value: ${typeof v}`);
}

/** Reads what {@link writeFrameValue} wrote; every failure is the reader's `DecodeError`. */
export function readFrameValue(r: Reader, maxString: number, depth = 0): Value {
  if (depth > MAX_DEPTH) r.fail("value nested too deeply");
  const tag = r.byte();
  switch (tag) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      return r.int();
    case 4: {
      const f = r.float64();
      if (!Number.isFinite(f)) r.fail("non-finite number");
      return f;
    }
    case 5:
      return r.string(maxString);
    case 6: {
      const n = r.count(1, "array item");
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(readFrameValue(r, maxString, depth + 1));
      return out;
    }
    case 7: {
      const n = r.count(2, "object entry");
      const out: Record<string, Value> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string(maxString);
        if (Object.hasOwn(out, k)) r.fail(`duplicate object key ${JSON.stringify(k)}`);
        const v = readFrameValue(r, maxString, depth + 1);
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 8:
      return r.bytes(maxString);
    default:
      return r.fail(`unknown value tag ${tag}`);
  }
}
