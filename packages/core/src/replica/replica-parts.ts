// ReplicaParts: the pieces of one replica that its collaborators share, created once by createReplicatedMap.
import type { Clock } from "@converge/hlc";
import type { CausalContext } from "../causal-context.ts";
import type { AnyResolver, KeyRules } from "../key-rules.ts";
import type { KeyStore } from "../register/key-store.ts";
import type { ReplicaInterner } from "../replica-interner.ts";
import type { DecodeLimits } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";
import type { Admission } from "./admission.ts";
import type { ChangeIndex } from "./change-index.ts";
import type { Listeners } from "./listeners.ts";
import type { SnapshotChain } from "./snapshot-chain.ts";
import type { StateCommitter } from "./state-committer.ts";

/** What a replica is made of; each collaborator takes the parts it needs from it once. */
export interface ReplicaParts {
  readonly id: ReplicaId;
  readonly clock: Clock;
  readonly rules: KeyRules;
  readonly resolverFor: (key: string) => AnyResolver;
  readonly limits: DecodeLimits;
  /** Whether any resolver batch-reads (see {@link Resolver.prepare}): if none, applies skip that pass. */
  readonly anyPrepare: boolean;
  /** The one instance of each replica id this replica has met (payload tables reuse them). */
  readonly intern: ReplicaInterner;
  readonly store: KeyStore;
  readonly context: CausalContext;
  readonly index: ChangeIndex;
  readonly snapshots: SnapshotChain;
  readonly committer: StateCommitter;
  readonly listeners: Listeners;
  readonly admission: Admission;
}
