import type { AnyResolver } from "../key-rules.ts";
import { DEFAULT_DECODE_LIMITS, StateReader, StateWriter } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";

/** A resolver state's canonical bytes: its replica table, then the resolver's encoding. */
export function stateBytes(resolver: AnyResolver, state: unknown): Uint8Array {
  const table: ReplicaId[] = [];
  const w = new StateWriter(new Map(), table, 64);
  resolver.encode(state, w);
  const body = w.finish();
  const head = new TextEncoder().encode(`${table.join(",")};`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Decodes bytes from {@link stateBytes}. */
export function stateFromBytes(resolver: AnyResolver, bytes: Uint8Array): unknown {
  const split = bytes.indexOf(0x3b); // ";"
  const names = new TextDecoder().decode(bytes.subarray(0, split));
  const table = names === "" ? [] : names.split(",");
  const r = new StateReader(bytes, split + 1, bytes.length, table, DEFAULT_DECODE_LIMITS);
  const state = resolver.decode(r);
  r.done();
  return state;
}

/** Hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A short readable description of a state: what it reads as, and its concurrent values. */
export function describeState(resolver: AnyResolver, state: unknown): string {
  if (state === undefined) return "(absent)";
  let read: string;
  try {
    read = JSON.stringify(resolver.read(state)) ?? "undefined";
  } catch (e) {
    read = `<read threw ${String(e)}>`;
  }
  let parts: string;
  try {
    parts = resolver
      .conflicts(state)
      .map((c) => `${JSON.stringify(c.value)}@${c.replica.slice(-2)}:${c.seq}`)
      .join(", ");
  } catch (e) {
    parts = `<conflicts threw ${String(e)}>`;
  }
  return `reads ${read} [${parts}] bytes ${toHex(stateBytes(resolver, state))}`;
}
