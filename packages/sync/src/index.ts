/**
 * @converge/sync — the replicator around a converge map.
 *
 * A client `connect`s a {@link ReplicatedMap} to a server through a {@link Transport} (WebSocket,
 * BroadcastChannel, memory): a handshake compares rules and version vectors, each side sends
 * what the other lacks as one delta, then local operations stream as they happen. The client
 * keeps every local operation in an outbox until the server acknowledges it, resends after any
 * reconnect (duplicates are harmless: payloads are idempotent), and reconnects with capped,
 * jittered backoff. The server side is a {@link SyncHost}: many documents, auth hooks, limits.
 * Stores and transports are interfaces with contract kits in `@converge/sync/testing`.
 *
 * @packageDocumentation
 */

export { connect } from "./connect.ts";
export { copyStoreBatch } from "./copy-store-batch.ts";
export { createLocalHost, type LocalHostOptions } from "./create-local-host.ts";
export { createSyncHost } from "./create-sync-host.ts";
export { SyncError, type SyncErrorCode } from "./errors.ts";
export {
  DEFAULT_FRAME_LIMITS,
  decodeFrames,
  decodeMessage,
  decodeVersionVector,
  encodeMessage,
  encodeVersionVector,
  type FrameLimits,
} from "./frame-codec.ts";
export type {
  ConnectionInfo,
  DocumentConfig,
  HostChangeEvent,
  HostLimits,
  HostOptions,
  HostStats,
  Principal,
  SyncHost,
} from "./host-types.ts";
export type { Hub, HubChannel, HubHandlers } from "./hub.ts";
export { type MemoryHubNetwork, memoryHubNetwork } from "./memory-hub.ts";
export { memoryStore } from "./memory-store.ts";
export { type MemoryTransportOptions, memoryTransportPair } from "./memory-transport.ts";
export {
  type Access,
  type AckMessage,
  type BatchMessage,
  type ChunkMessage,
  type CompactedMessage,
  type HelloMessage,
  type Message,
  type PayloadMessage,
  type PingMessage,
  type PongMessage,
  PROTOCOL_VERSION,
  type PresenceMessage,
  type RefusalCode,
  type RefuseMessage,
  type RejectMessage,
  type ResetMessage,
  type RulesManifest,
  type WelcomeMessage,
} from "./messages.ts";
export type { MetricAttributes, MetricsSink } from "./metrics.ts";
export { openDocument } from "./open-document.ts";
export { crc32, rowChecksum } from "./row-checksum.ts";
export type {
  OpenDocumentOptions,
  SessionEvents,
  SessionOptions,
  SessionStatus,
  SyncSession,
  Timers,
} from "./session-types.ts";
export type { DocumentStore, OutboxEntry, PeerRecord, Store, StoreBatch, StoredDocument } from "./store.ts";
export {
  type DocumentKeeper,
  documentKeeper,
  type KeeperHooks,
  type LoadedReplica,
  loadReplica,
  type StorePolicyOptions,
} from "./store-policy.ts";
export { CloseCode, type CloseInfo, type Dialer, type Transport } from "./transport.ts";
export { TransportListeners } from "./transport-listeners.ts";
