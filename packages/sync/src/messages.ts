import type { ReplicaId, Value, VersionVector } from "@converge/core";

/** The sync protocol's version; a peer speaking another one is refused with `UPGRADE_REQUIRED`. */
export const PROTOCOL_VERSION = 2;

/**
 * What an end may do with a document: nothing, receive it, or also write — to every key, or only
 * to keys matching `keys` (the patterns of key rules: exact keys and `prefix*`).
 */
export type Access =
  | { readonly mode: "none" }
  | { readonly mode: "read" }
  | { readonly mode: "write"; readonly keys?: readonly string[] };

/**
 * A document's key rules as the server describes them, so that a client knowing only the
 * document's name can build the same rules: resolver descriptors by pattern, scripts by hash.
 * `fingerprint` is what a map built from it reports (`ReplicatedMap.fingerprint`).
 */
export interface RulesManifest {
  readonly fingerprint: string;
  /** `{ default, keys }` with each resolver described as `{ resolver: "lww", options?: … }`. */
  readonly rules: Value;
  /** Script sources by their sha256 (hex), for rules that name a script. */
  readonly scripts: Readonly<Record<string, string>>;
}

/** Client → server, first frame of every connection. */
export interface HelloMessage {
  readonly type: "hello";
  readonly protocol: number;
  /** The payload format version the client writes (core's `FORMAT_VERSION`). */
  readonly format: number;
  readonly document: string;
  readonly replica: ReplicaId;
  /** The client's rules fingerprint; `null` asks the server for the manifest first. */
  readonly fingerprint: string | null;
  /** What the client has; the server answers with what it lacks. */
  readonly vector: VersionVector;
  /** Opaque credentials (a token); `null` when none. */
  readonly credentials: string | null;
}

/** Server → client: the handshake succeeded. */
export interface WelcomeMessage {
  readonly type: "welcome";
  /** The document's rules fingerprint (equal to the client's, unless it asked for the manifest). */
  readonly fingerprint: string;
  /** The manifest, when the client asked for it (hello with `fingerprint: null`). */
  readonly manifest: RulesManifest | null;
  /** What the server has; the client answers with what it lacks. */
  readonly vector: VersionVector;
  /** What this client may do. */
  readonly access: Access;
  /** This connection's presence id, unique within the document while connected. */
  readonly client: string;
}

/** Why a handshake or a frame was refused. */
export type RefusalCode =
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "UPGRADE_REQUIRED"
  | "CONFIG_MISMATCH"
  | "FORMAT_VERSION"
  | "UNKNOWN_DOCUMENT"
  | "RATE_LIMITED"
  | "FRAME_TOO_LARGE"
  | "FRAME_MALFORMED"
  | "PAYLOAD_REFUSED";

/** Server → client: the handshake was refused; the connection closes after it. */
export interface RefuseMessage {
  readonly type: "refuse";
  readonly code: RefusalCode;
  readonly message: string;
  /** For `CONFIG_MISMATCH`: the server's and the client's fingerprints. */
  readonly expected?: string;
  readonly received?: string;
}

/** Either way: one core payload (a full state, a delta or an op; its header says which). */
export interface PayloadMessage {
  readonly type: "payload";
  readonly payload: Uint8Array;
}

/**
 * Either way: a part of a payload too large for one frame. Parts of one payload share `id`
 * and arrive in order; the part with `last` completes it.
 */
export interface ChunkMessage {
  readonly type: "chunk";
  readonly id: number;
  readonly last: boolean;
  readonly bytes: Uint8Array;
}

/** Server → client: everything in `vector` is merged (and durable, with a durable store). */
export interface AckMessage {
  readonly type: "ack";
  readonly vector: VersionVector;
}

/**
 * Server → client: one frame was refused without closing the connection (a write by a read-only
 * principal, a key outside the principal's patterns, a payload core refused). Nothing of it was
 * merged or relayed.
 */
export interface RejectMessage {
  readonly type: "reject";
  readonly code: RefusalCode | string;
  readonly message: string;
  /** The keys that were not allowed, when the refusal is about keys. */
  readonly keys: readonly string[];
}

/**
 * Either way: ephemeral per-client state (a name, a cursor). From a client: its own, `null` to
 * clear it. From the server: another client's, `null` when it left. Never persisted or merged.
 */
export interface PresenceMessage {
  readonly type: "presence";
  readonly client: string;
  readonly state: Value | null;
}

/**
 * Server → client, right after the welcome, instead of the catch-up delta: the client's hello
 * vector does not cover `floor`, the compaction floor the server has collected tombstones up to,
 * so the client may hold parts the server already forgot the removal of. The payload that
 * follows on this connection (one `payload` frame, or the chunks of one) is the document's full
 * state: the client replaces its state with it and re-applies its unacknowledged operations on
 * top (`ReplicatedMap.replaceState`), then rewrites its store. See PROTOCOL.md, "Reset".
 */
export interface ResetMessage {
  readonly type: "reset";
  /** Every compaction floor the server used, merged: what a client must cover to skip a reset. */
  readonly floor: VersionVector;
}

/**
 * Server → client: the server compacted the document with `floor` (after a welcome: the floors
 * used so far, merged). A client whose vector covers it compacts with it too (`compact([floor])`),
 * so that replicas that have seen the same operations hold the same bytes; one that does not
 * cover it ignores it. Reads never change.
 */
export interface CompactedMessage {
  readonly type: "compacted";
  readonly floor: VersionVector;
}

/** Liveness probes; a pong echoes the ping's `nonce`. */
export interface PingMessage {
  readonly type: "ping";
  readonly nonce: number;
}
export interface PongMessage {
  readonly type: "pong";
  readonly nonce: number;
}

/**
 * Either way (since protocol 2): several frames sent in one, to be handled in order exactly as if
 * each had come alone. A host coalesces what one turn of its event loop sends to a connection
 * into one batch, so a burst costs one transport write per connection, not one per message.
 * Never nested; at least two frames; the batch counts as one frame for the rate limit.
 */
export interface BatchMessage {
  readonly type: "batch";
  readonly frames: readonly Uint8Array[];
}

/** Every frame of the protocol, decoded. */
export type Message =
  | BatchMessage
  | HelloMessage
  | WelcomeMessage
  | RefuseMessage
  | PayloadMessage
  | ChunkMessage
  | AckMessage
  | RejectMessage
  | PresenceMessage
  | PingMessage
  | PongMessage
  | ResetMessage
  | CompactedMessage;
