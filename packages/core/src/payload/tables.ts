// The payload's tables: the resolvers it was written with (checked against the key rules) and its replica ids.
import { ResolverMismatchError } from "../errors.ts";
import { type AnyResolver, configMismatch, type KeyRules, resolverName } from "../key-rules.ts";
import type { ReplicaInterner } from "../replica-interner.ts";
import type { StateReader } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";
import { FIXED_HEADER_BYTES } from "./format.ts";

/**
 * Reads the resolver table: each `id@version` must be one of `rules`' resolvers, listed once; then
 * checks the header's key-rule fingerprint (a mismatch names the differences it can see).
 *
 * @throws ResolverMismatchError (`UNKNOWN_RESOLVER`, `RESOLVER_VERSION`, `CONFIG_MISMATCH`).
 */
export function readResolverTable(bytes: Uint8Array, r: StateReader, rules: KeyRules): AnyResolver[] {
  const out: AnyResolver[] = [];
  const nr = r.count(2, "resolver");
  for (let i = 0; i < nr; i++) {
    const id = r.string(256);
    const version = r.uint();
    const mine = [...rules.resolvers.values()].filter((x) => x.id === id);
    const match = mine.find((x) => x.version === version);
    if (match === undefined) {
      if (mine.length === 0) {
        throw new ResolverMismatchError(
          "UNKNOWN_RESOLVER",
          `payload uses resolver ${id}@${version}, unknown here`,
        );
      }
      throw new ResolverMismatchError(
        "RESOLVER_VERSION",
        `payload uses resolver ${id}@${version}; this replica has ${mine.map(resolverName).join(", ")}`,
      );
    }
    if (out.includes(match)) r.fail(`resolver ${id}@${version} listed twice`);
    out.push(match);
  }
  const fp = bytes.subarray(4, FIXED_HEADER_BYTES);
  if (fp.some((b, i) => b !== rules.fingerprint[i])) throw configMismatch(rules, fp, out);
  return out;
}

/** Reads the replica table into `table` (ids interned by `intern`, each listed once). */
export function readReplicaTable(r: StateReader, table: ReplicaId[], intern: ReplicaInterner): void {
  const nt = r.count(8, "replica");
  const seen = new Set<ReplicaId>();
  for (let i = 0; i < nt; i++) {
    const id = intern(r.raw(8), 0);
    // A new id grows the set to i + 1; one listed before leaves it smaller.
    if (seen.add(id).size === i) r.fail(`replica ${id} listed twice`);
    table.push(id);
  }
}
