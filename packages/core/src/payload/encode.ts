// encodePayload: a state, delta or op payload from sorted entries (docs/FORMAT.md).
import type { CausalContext } from "../causal-context.ts";
import type { AnyResolver } from "../key-rules.ts";
import { StateWriter } from "../state-codec.ts";
import { type ReplicaId, VersionVector } from "../version-vector.ts";
import { Writer } from "../writer.ts";
import {
  FIXED_HEADER_BYTES,
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

  const body = new StateWriter(replicaIndex, table, 64 + entries.length * 24);
  body.uint(entries.length);
  const keys = new KeyEncoder();
  for (const e of entries) {
    keys.write(e.key, body);
    let ri = resolverIndex.get(e.resolver);
    if (ri === undefined) {
      ri = resolvers.length;
      resolverIndex.set(e.resolver, ri);
      resolvers.push(e.resolver);
    }
    body.uint(ri);
    e.resolver.encode(e.state, body);
  }

  const head = new Writer(FIXED_HEADER_BYTES);
  head.raw(new Uint8Array([MAGIC_0, MAGIC_1, FORMAT_VERSION, KIND_CODES[kind]]));
  head.raw(fingerprint);
  const tables = new Writer(64 + table.length * 9);
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
  return seal([head.finish(), tables.finish(), ctx.finish(), body.finish()]);
}
