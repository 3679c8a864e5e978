// encodePayload: a state, delta or op payload from sorted entries (docs/FORMAT.md).
import type { CausalContext } from "../causal-context.ts";
import type { AnyResolver } from "../key-rules.ts";
import { StateWriter } from "../state-codec.ts";
import { type ReplicaId, VersionVector } from "../version-vector.ts";
import { Writer } from "../writer.ts";
import {
  FORMAT_VERSION,
  KIND_CODES,
  MAGIC_0,
  MAGIC_1,
  type PayloadEntry,
  type PayloadKind,
} from "./format.ts";
import { seal } from "./header.ts";
import { hexToBytes8, KeyEncoder } from "./keys.ts";

/**
 * Encodes a payload. `entries` must be sorted by key (JavaScript string order) without duplicates.
 */
export function encodePayload(
  kind: PayloadKind,
  fingerprint: Uint8Array,
  context: CausalContext,
  entries: readonly PayloadEntry[],
  since?: VersionVector,
): Uint8Array {
  const replicaIndex = new Map<ReplicaId, number>();
  const table: ReplicaId[] = [];
  const resolverIndex = new Map<AnyResolver, number>();
  const resolvers: AnyResolver[] = [];

  const ctx = new StateWriter(replicaIndex, table, 64);
  context.encode(ctx);
  if (kind === "delta") {
    const base = (since ?? VersionVector.empty).entries();
    ctx.uint(base.length);
    for (const [r, seq] of base) {
      ctx.replica(r);
      ctx.uint(seq);
    }
  }

  // The resolver table in order of first use; an entry names its resolver only when there are several.
  let last: AnyResolver | undefined;
  for (const e of entries) {
    if (e.resolver === last || resolverIndex.has(e.resolver)) continue;
    last = e.resolver;
    resolverIndex.set(last, resolvers.length);
    resolvers.push(last);
  }
  const several = resolvers.length > 1;
  const body = new StateWriter(replicaIndex, table, 64 + entries.length * 16);
  body.uint(entries.length);
  const keys = new KeyEncoder();
  for (const e of entries) {
    keys.write(e.key, body);
    if (several) body.uint(resolverIndex.get(e.resolver) as number);
    e.resolver.encode(e.state, body);
  }

  // The fixed header, then the tables (seal puts the length between them).
  const tables = new Writer(64 + table.length * 9);
  tables.raw(new Uint8Array([MAGIC_0, MAGIC_1, FORMAT_VERSION, KIND_CODES[kind]]));
  tables.raw(fingerprint);
  tables.uint(resolvers.length);
  for (const r of resolvers) {
    tables.string(r.id);
    tables.uint(r.version);
  }
  tables.uint(table.length);
  const id = new Uint8Array(8);
  for (const r of table) {
    hexToBytes8(r, id);
    tables.raw(id);
  }
  return seal([tables.finish(), ctx.finish(), body.finish()]);
}
