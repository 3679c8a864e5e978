/** `acceptTake`: reads the rows a QuickJS batch hands over at a take, checking count and order. */
import { ScriptError } from "./errors.ts";
import { deepFreeze, failure, KIND_TO_CODE, type Row, type ScriptResult } from "./types.ts";

/**
 * Reads a take, `[count, rows]`: `count` lists finished from `at`, text rows (each carrying its
 * list's index, in order) for those that are not numbers; the others are left to the numbers
 * read later (`pending`). A count past the batch or a row out of place is `SCRIPT_ROW_MISMATCH`.
 */
export function acceptTake(
  text: string,
  at: number,
  to: number,
  out: (ScriptResult | undefined)[],
  pending: number[],
): number {
  const take = JSON.parse(text) as [number, Row[]];
  const n = take[0];
  const rows = take[1];
  if (!Number.isInteger(n) || n < 0 || at + n > to || !Array.isArray(rows) || rows.length > n)
    throw new ScriptError("SCRIPT_ROW_MISMATCH", "the sandbox returned too many rows");
  let r = 0;
  for (let k = at; k < at + n; k++) {
    const row = rows[r];
    if (row !== undefined && Array.isArray(row) && row[0] === k) {
      out[k] =
        row[1] === 0
          ? { ok: true, value: deepFreeze(row[2]) }
          : failure(KIND_TO_CODE[row[2]] ?? "SCRIPT_THREW", row[3]);
      r++;
    } else pending.push(k);
  }
  if (r !== rows.length)
    throw new ScriptError("SCRIPT_ROW_MISMATCH", `the sandbox returned a row out of place at ${at}`);
  return n;
}
