import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { lww, pncounter } from "@converge/resolvers";

/** Replica A's node id (converge) / client id (Yjs: 1) / actor (Automerge). */
export const NODE_A = "000000000000000a";
/** Replica B's node id. */
export const NODE_B = "000000000000000b";

/** The node id of the i-th replica: 16 lowercase hex digits. */
export function nodeId(i: number): string {
  return i.toString(16).padStart(16, "0");
}

/** A last-writer-wins replica (every key lww). */
export function lwwReplica(node: string): ReplicatedMap {
  return createReplicatedMap({ resolvers: { default: lww() }, clockOptions: { node } });
}

/** A counter replica (every key a PN-counter). */
export function counterReplica(node: string): ReplicatedMap {
  return createReplicatedMap({ resolvers: { default: pncounter() }, clockOptions: { node } });
}
