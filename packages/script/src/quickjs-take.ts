/** `acceptTake`: reads the rows a QuickJS batch hands over at a take, checking count and order. */
import { ScriptError } from "./errors.ts";
import { deepFreeze, failure, KIND_TO_CODE, type Row, type ScriptResult } from "./types.ts";

/**
 * Reads a take, `[count, rows]`: `count` lists finished from `at`, text rows (each carrying its
 * list's index, in order) for those that are not numbers; the others are left undefined in `out`,
 * for the numbers read later. A count past the batch or a row out of place is `SCRIPT_ROW_MISMATCH`.
 */
export function acceptTake(text: string, at: number, to: number, out: (ScriptResult | undefined)[]): number {
  const take = JSON.parse(text) as [number, Row[]];
  const n = take[0];
  const rows = take[1];
  if (!Number.isInteger(n) || n < 0 || at + n > to || !Array.isArray(rows) || rows.length > n)
    throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox returned too many rows");
  // Rows carry increasing indexes within [at, at + n): each goes to its own list.
  let last = at - 1;
  for (const row of rows) {
    const k = Array.isArray(row) ? row[0] : undefined;
    if (typeof k !== "number" || !Number.isInteger(k) || k <= last || k >= at + n) {
      last = -1;
      break;
    }
    out[k] =
      row[1] === 0
        ? { ok: true, value: deepFreeze(row[2]) }
        : failure(KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", row[3]);
    last = k;
  }
  if (rows.length > 0 && last < 0)
    throw new ScriptError("SCRIPT_ROW_MISMATCH", `the sandbox returned a row out of place at ${at}`);
  return n;
}
