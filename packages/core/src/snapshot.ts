import type { AnyResolver } from "./key-rules.ts";
import type { Concurrent } from "./resolver.ts";
import type { VersionVector } from "./version-vector.ts";

/** Marks a key that did not exist when a snapshot was taken. */
export const ABSENT: unique symbol = Symbol("absent");

/**
 * A link in the chain of live snapshots: the states that keys had when the snapshot was taken,
 * saved just before the first later write to each key. Older links point to newer ones.
 */
export class SnapshotLink {
  readonly saved: Map<string, unknown> = new Map();
  next: SnapshotLink | undefined;
}

/**
 * An immutable, consistent view of a replicated map at the moment {@link ReplicatedMap.snapshot}
 * was called. Later writes to the map never show through. Taking one costs O(1); each key first
 * written after it costs O(1) once.
 */
export interface Snapshot {
  readonly size: number;
  readonly versionVector: VersionVector;
  readonly get: (key: string) => unknown;
  readonly has: (key: string) => boolean;
  readonly conflicts: (key: string) => readonly Concurrent<unknown>[];
  /** Present keys with their values, in ascending key order (as `ReplicatedMap.entries`). */
  readonly entries: () => IterableIterator<[string, unknown]>;
  readonly keys: () => IterableIterator<string>;
}

/** The live states a snapshot reads through to for keys its chain did not save. */
export interface LiveStates {
  readonly get: (key: string) => unknown;
  readonly keys: () => Iterable<string>;
}

/** @internal Builds the read side of a snapshot over the live states and the link chain. */
export function makeSnapshot(
  link: SnapshotLink,
  live: LiveStates,
  resolverFor: (key: string) => AnyResolver,
  size: number,
  versionVector: VersionVector,
): Snapshot {
  const stateOf = (key: string): unknown => {
    for (let l: SnapshotLink | undefined = link; l !== undefined; l = l.next) {
      if (l.saved.has(key)) {
        const s = l.saved.get(key);
        return s === ABSENT ? undefined : s;
      }
    }
    return live.get(key);
  };
  const read = (key: string): unknown => {
    const s = stateOf(key);
    return s === undefined ? undefined : resolverFor(key).read(s);
  };
  function* entries(): IterableIterator<[string, unknown]> {
    // Every key the snapshot could hold, fixed before the first yield: keys written later are
    // either saved in the chain (with the state they had) or absent from the snapshot.
    const keys = new Set<string>();
    for (let l: SnapshotLink | undefined = link; l !== undefined; l = l.next)
      for (const key of l.saved.keys()) keys.add(key);
    for (const key of live.keys()) keys.add(key);
    for (const key of [...keys].sort()) {
      const s = stateOf(key);
      if (s !== undefined && resolverFor(key).exists(s)) yield [key, resolverFor(key).read(s)];
    }
  }
  return Object.freeze({
    size,
    versionVector,
    get: read,
    has: (key: string) => {
      const s = stateOf(key);
      return s !== undefined && resolverFor(key).exists(s);
    },
    conflicts: (key: string) => {
      const s = stateOf(key);
      return s === undefined ? [] : resolverFor(key).conflicts(s);
    },
    entries,
    keys: function* () {
      for (const [k] of entries()) yield k;
    },
  });
}
