// LoneReader: the fused fast read of a register state holding one value, into SiblingColumns.
import { MAX_COUNTER, MAX_WALL } from "@converge/hlc";
import type { StateReader } from "../state-codec.ts";
import { Tag, type Value } from "../value.ts";
import { MAX_COLUMN_SEQ, type SiblingColumns } from "./sibling-columns.ts";

/**
 * Reads, in one pass over the bytes, a register state holding one value and nothing else —
 * header 2 (one sibling, no clock), replica, seq delta, time, value — straight into columns. One per
 * payload decoder; its only state is the offset after the last short varint it read.
 */
export class LoneReader {
  /** Offset after the varint last read by {@link LoneReader.#short}. */
  #after = 0;

  /**
   * A minimal unsigned varint of at most four bytes at `pos` (its end in `#after`), or -1 for
   * anything else (longer, non-minimal, or running past `end`).
   */
  #short(buf: Uint8Array, pos: number, end: number): number {
    if (pos >= end) return -1;
    const b0 = buf[pos] as number;
    if (b0 < 0x80) {
      this.#after = pos + 1;
      return b0;
    }
    if (pos + 1 >= end) return -1;
    const b1 = buf[pos + 1] as number;
    if (b1 < 0x80) {
      if (b1 === 0) return -1;
      this.#after = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
    if (pos + 2 >= end) return -1;
    const b2 = buf[pos + 2] as number;
    if (b2 < 0x80) {
      if (b2 === 0) return -1;
      this.#after = pos + 3;
      return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
    }
    if (pos + 3 >= end) return -1;
    const b3 = buf[pos + 3] as number;
    if (b3 >= 0x80 || b3 === 0) return -1;
    this.#after = pos + 4;
    return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | ((b2 & 0x7f) << 14) | (b3 << 21);
  }

  /**
   * Reads the lone register state at `r`'s offset into `out` at entry `i`. Takes the plain shape
   * only (short varints for the replica, seq and counter) and otherwise reads nothing and returns
   * false, and the caller decodes the state with its resolver. It never accepts what the resolver
   * would refuse and reads what it accepts exactly as the resolver would; a malformed time delta
   * or value throws the error the resolver's read would throw at that offset.
   */
  read(r: StateReader, out: SiblingColumns, i: number): boolean {
    const buf = r.source;
    const end = r.end;
    const start = r.offset;
    let pos = start;
    if (end - pos < 6 || buf[pos] !== 2) return false;
    const ri = this.#short(buf, pos + 1, end);
    if (ri < 0) return false;
    const replica = r.table[ri];
    if (replica === undefined || ri > r.replicasUsed) return false;
    const zs = this.#short(buf, this.#after, end);
    const seq = zs < 0 ? 0 : r.seqAfter(ri, zs % 2 === 0 ? zs / 2 : -(zs + 1) / 2);
    // A seq past 32 bits does not fit the columns (a short delta can reach one): the resolver reads it.
    if (seq === 0 || seq > MAX_COLUMN_SEQ) return false;
    let z = this.#short(buf, this.#after, end);
    if (z < 0) {
      // A long time delta (the payload's first time, or a jump): read as the resolver would.
      r.seek(this.#after);
      z = r.uint();
      this.#after = r.offset;
    }
    const wall = r.lastWall + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (wall < 0 || wall > MAX_WALL) return undo(r, start);
    const counter = this.#short(buf, this.#after, end);
    if (counter < 0 || counter > MAX_COUNTER) return undo(r, start);
    pos = this.#after;
    if (pos >= end) return undo(r, start);
    let value: Value;
    const zv = buf[pos] === Tag.Int ? this.#short(buf, pos + 1, end) : -1;
    if (zv >= 0) {
      value = zv % 2 === 0 ? zv / 2 : -(zv + 1) / 2;
      pos = this.#after;
    } else {
      // Any other value: read as the resolver would (no times inside, so nothing else to undo).
      r.seek(pos);
      value = r.value();
      pos = r.offset;
    }
    r.seek(pos);
    r.noteRead(ri, seq, wall, counter, replica);
    out.write(i, ri, seq, wall, counter, value);
    return true;
  }
}

/** Returns `r` to `offset` (nothing read) and says so: false. */
function undo(r: StateReader, offset: number): false {
  r.seek(offset);
  return false;
}
