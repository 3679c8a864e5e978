import { buildHost } from "./host.ts";
import type { HostOptions, SyncHost } from "./host-types.ts";

/** A {@link createLocalHost}'s options: a host's, without the hub. */
export type LocalHostOptions = Omit<HostOptions, "hub" | "hubDigestMs">;

/**
 * A host that serves only its own connections (a leader tab serving the other tabs, a test):
 * `createSyncHost` in every other respect, without the hub code, so a page that bundles it stays
 * small. `onHubStatus` never fires.
 *
 * @throws ConfigError (`INVALID_CONFIG`) when given a `hub` anyway (say, from untyped JavaScript).
 */
export function createLocalHost(options: LocalHostOptions): SyncHost {
  return buildHost(options, undefined);
}
