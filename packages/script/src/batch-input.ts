import type { JsonValue, ScriptResult } from "./types.ts";

/** Lists packed as numbers: their lengths, and their values one after the other. */
export interface PackedLists {
  readonly lengths: Uint32Array;
  readonly data: Float64Array;
}

/**
 * The lists of one run, as an engine reads them: packed as numbers when every value is one (the
 * cheap way across an isolate or process boundary), else as JSON text, a slice at a time.
 * @internal
 */
export interface BatchInput {
  readonly length: number;
  /** Lists `[from, to)` packed, or undefined when some value is not a number. */
  readonly numeric: (from: number, to: number) => PackedLists | undefined;
  /** Lists `[from, to)` as JSON text. */
  readonly json: (from: number, to: number) => string;
}

/** A batch over lists of values. @internal */
export function listsInput(lists: readonly (readonly JsonValue[])[]): BatchInput {
  return {
    length: lists.length,
    numeric: (from, to) => numericBatch(lists, from, to),
    json: (from, to) => JSON.stringify(lists.slice(from, to)),
  };
}

/** A batch over lists already packed (as the supervisor sends them): slices are views, no copy. @internal */
export function packedInput(packed: PackedLists): BatchInput {
  const { lengths, data } = packed;
  const offsets = new Uint32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = (offsets[i] as number) + (lengths[i] as number);
  return {
    length: lengths.length,
    numeric: (from, to) => ({
      lengths: lengths.subarray(from, to),
      data: data.subarray(offsets[from] as number, offsets[to] as number),
    }),
    json: (from, to) => {
      const lists: number[][] = [];
      for (let i = from; i < to; i++)
        lists.push(Array.from(data.subarray(offsets[i] as number, offsets[i + 1] as number)));
      return JSON.stringify(lists);
    },
  };
}

/**
 * Packs lists made only of numbers into a Float64Array (and their lengths into a Uint32Array).
 * Undefined when some value is not a number.
 * @internal
 */
export function numericBatch(
  lists: readonly (readonly JsonValue[])[],
  from: number,
  to: number,
): PackedLists | undefined {
  const lengths = new Uint32Array(to - from);
  let data = new Float64Array((to - from) * 2);
  let p = 0;
  for (let i = from; i < to; i++) {
    const list = lists[i] as readonly JsonValue[];
    const n = list.length;
    lengths[i - from] = n;
    if (p + n > data.length) {
      const bigger = new Float64Array(Math.max(data.length * 2, p + n));
      bigger.set(data);
      data = bigger;
    }
    for (let k = 0; k < n; k++) {
      const v = list[k];
      if (typeof v !== "number") return undefined;
      // -0 travels as 0, as it does in JSON text: a script reads the same whichever way it came.
      data[p++] = v === 0 ? 0 : v;
    }
  }
  return { lengths, data: p === data.length ? data : data.slice(0, p) };
}

/**
 * Results as they cross a process boundary: numbers in a Float64Array at their place, every other
 * result as a JSON row `[index, 0, value]` or `[index, 1, code, message]` in `extra`.
 * @internal
 */
export interface PackedResults {
  readonly nums: Float64Array;
  readonly extra: string;
}

/** Packs results for the trip back to the host. @internal */
export function packResults(results: readonly (ScriptResult | undefined)[]): PackedResults {
  const nums = new Float64Array(results.length);
  const extra: string[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r === undefined) continue;
    if (r.ok && typeof r.value === "number") nums[i] = r.value;
    else if (r.ok) extra.push(`[${i},0,${JSON.stringify(r.value)}]`);
    else extra.push(`[${i},1,${JSON.stringify(r.error.code)},${JSON.stringify(r.error.message)}]`);
  }
  return { nums, extra: `[${extra.join(",")}]` };
}
