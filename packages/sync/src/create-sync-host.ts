import { hubLinks } from "./_internals/hub-links.ts";
import { opRelay } from "./_internals/op-relay.ts";
import { buildHost } from "./host.ts";
import type { HostOptions, SyncHost } from "./host-types.ts";

/**
 * The server side of the protocol, isomorphic (no Node API): hosts many documents, each a replica
 * that relays between its clients, with auth hooks, limits, a store and, with `options.hub`,
 * scale-out to other hosts (docs/PROTOCOL.md). Per connection: the handshake checks protocol,
 * format, document, `authenticate`, `authorize` and the rules' fingerprint, in that order (a
 * refusal is a `refuse` frame, then a close); then one delta each way; then each client payload
 * is checked (read-only: `reject FORBIDDEN`; key patterns: all or nothing), merged in the
 * document's order, relayed, and acknowledged once the store committed it. What one turn sends to
 * a connection goes out as one write. A malformed frame closes only its connection.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for a `hubDigestMs` that is not a non-negative integer.
 */
export function createSyncHost(options: HostOptions): SyncHost {
  return buildHost(options, hubLinks, opRelay);
}
