import { type ReplicaId, type Value, type VersionVector, versionVector } from "@converge/core";
import { isConvergeError } from "@converge/hlc";
import type { ConnectionInfo, HostChangeEvent } from "../host-types.ts";
import type { Access, Message } from "../messages.ts";
import type { MetricsSink } from "../metrics.ts";
import type { Timers } from "../session-types.ts";
import type { Transport } from "../transport.ts";
import type { ChunkAssembler } from "./chunks.ts";
import type { HostDocument } from "./host-document.ts";
import { keyAllowed } from "./key-patterns.ts";

/** One connection a host serves. */
export interface Conn {
  readonly transport: Transport;
  /** What the transport told of the connection, for `authenticate`; dropped once open. */
  info: ConnectionInfo | undefined;
  phase: "handshake" | "open" | "closed";
  doc: HostDocument<Conn> | undefined;
  principal: unknown;
  access: Access;
  client: string;
  /** The client replica's id, from its hello ("" before). */
  replica: ReplicaId;
  /** A lower bound of what the client has: a delta from it always finds its base there. */
  known: VersionVector | undefined;
  paused: boolean;
  presence: Value | null;
  queue: Promise<void>;
  /** Made on its first chunk (most connections never send one). */
  assembler: ChunkAssembler | undefined;
  windowStart: number;
  windowFrames: number;
  windowBytes: number;
  timer: unknown;
  chunkId: number;
}

/** Whether a connection has closed (a function, so a check after an await is not narrowed away). */
export function isClosed(c: Conn): boolean {
  return c.phase === "closed";
}

/** What the payload path needs from its host. */
export interface MergeContext {
  readonly limits: { readonly sendQueueBytes: number };
  readonly timers: Timers;
  readonly metrics: MetricsSink | undefined;
  readonly send: (c: Conn, m: Message) => void;
  readonly sendPayload: (c: Conn, payload: Uint8Array) => void;
  /** Bytes waiting to reach `c`: its transport's and the host's own queue for this turn. */
  readonly pendingBytes: (c: Conn) => number;
  readonly report: (error: unknown, document: string | undefined) => void;
  readonly onChange: ((event: HostChangeEvent) => void) | undefined;
  /** Called once a client's new payload is committed and acknowledged (the hub publishes it). */
  readonly published?: (doc: HostDocument<Conn>, bytes: Uint8Array) => void;
}

const PAYLOAD_KIND_DELTA = 2;
/** Payloads larger than this merge with `applyAsync`, yielding to the event loop. */
const ASYNC_APPLY_BYTES = 64 * 1024;

/** Streams to `c` unless it is paused; pauses it when its send queue passed the bound. */
export function stream(ctx: MergeContext, c: Conn, doc: HostDocument<Conn>, what: (c: Conn) => void): void {
  const { limits, timers, metrics, sendPayload, pendingBytes } = ctx;
  if (c.phase !== "open") return;
  if (!c.paused && pendingBytes(c) > limits.sendQueueBytes) {
    c.paused = true;
    metrics?.count("backpressure_pauses", 1, { document: doc.name });
    const check = (): void => {
      if (c.phase !== "open") return;
      const queued = pendingBytes(c);
      metrics?.gauge("send_queue_bytes", queued, { document: doc.name });
      if (queued > limits.sendQueueBytes / 2) {
        timers.setTimeout(check, 20);
        return;
      }
      c.paused = false;
      sendPayload(c, doc.map.encodeDelta(c.known ?? doc.map.versionVector()));
      c.known = doc.map.versionVector();
    };
    timers.setTimeout(check, 20);
  }
  if (!c.paused) what(c);
}

/**
 * One delta every other streaming connection of `doc` can apply: from the meet of their known
 * vectors (`vector` for one that has none), computed over the distinct vector objects only.
 */
function freshDelta(doc: HostDocument<Conn>, from: Conn, vector: VersionVector): Uint8Array {
  const bases = new Set<VersionVector>();
  // A paused connection is sent nothing now (it gets one delta from its own vector on resuming).
  for (const o of doc.connections)
    if (o !== from && o.phase === "open" && !o.paused) bases.add(o.known ?? vector);
  let base: VersionVector | undefined;
  for (const b of bases) base = base === undefined ? b : base.meet(b);
  return doc.map.encodeDelta(base ?? vector);
}

/**
 * A client's payload: refused for a read-only principal, checked key by key against a write
 * principal's patterns (all or nothing), merged in the document's apply order, relayed to the
 * other connections, acknowledged once committed. Refusals are `reject` frames.
 */
export async function mergePayload(
  ctx: MergeContext,
  c: Conn,
  doc: HostDocument<Conn>,
  bytes: Uint8Array,
): Promise<void> {
  const { timers, metrics, send, sendPayload, report } = ctx;
  const attrs = { document: doc.name };
  const refuse = (e: unknown): void => {
    if (!isConvergeError(e)) throw e;
    metrics?.count("refusals", 1, { code: e.code });
    report(e, doc.name);
    send(c, { type: "reject", code: e.code, message: e.message, keys: [] });
  };
  if (c.access.mode !== "write") {
    metrics?.count("refusals", 1, { code: "FORBIDDEN" });
    send(c, {
      type: "reject",
      code: "FORBIDDEN",
      message: "read-only access: the write was not merged",
      keys: [],
    });
    return;
  }
  const patterns = c.access.keys;
  if (patterns !== undefined) {
    let keys: readonly string[];
    try {
      keys = doc.map.payloadKeys(bytes);
    } catch (e) {
      return refuse(e);
    }
    const bad = keys.filter((k) => !keyAllowed(k, patterns));
    if (bad.length > 0) {
      metrics?.count("refusals", 1, { code: "FORBIDDEN" });
      send(c, {
        type: "reject",
        code: "FORBIDDEN",
        message: `${bad.length} keys outside the principal's patterns; nothing merged`,
        keys: bad,
      });
      return;
    }
  }
  // Applies of one document run one after another, so its change events belong to one apply.
  // Merges of one document run one after another; each is queued for the store and relayed in
  // that same order, so an ack's vector (taken right after its merge) is committed with it.
  const run = doc.chain.then(async () => {
    const changed = new Set<string>();
    doc.changed = changed;
    const started = timers.now();
    let result: { readonly changed: number; readonly duplicate: boolean };
    try {
      result = bytes.length > ASYNC_APPLY_BYTES ? await doc.map.applyAsync(bytes) : doc.map.apply(bytes);
    } finally {
      doc.changed = undefined;
      metrics?.observe("apply_ms", timers.now() - started, attrs);
    }
    const vector = doc.map.versionVector();
    if (result.duplicate) return { vector, committed: doc.keeper.flush(), fresh: false };
    metrics?.count("payloads_merged", 1, attrs);
    metrics?.count("keys_merged", result.changed, attrs);
    const committed = doc.keeper.append(bytes);
    // A relayed delta's base may be missing elsewhere: one fresh delta from the meet of what the
    // other connections surely have (they mostly share one known vector), the same bytes for all.
    const relayed = bytes[3] === PAYLOAD_KIND_DELTA ? freshDelta(doc, c, vector) : bytes;
    for (const other of doc.connections) {
      if (other === c) continue;
      stream(ctx, other, doc, (o) => {
        sendPayload(o, relayed);
        if (relayed !== bytes) o.known = vector;
      });
    }
    if (changed.size > 0)
      ctx.onChange?.({ document: doc.name, principal: c.principal, keys: [...changed].sort() });
    return { vector, committed, fresh: true };
  });
  doc.chain = run.then(
    () => {},
    () => {},
  );
  let vector: VersionVector;
  let committed: Promise<void>;
  let fresh: boolean;
  try {
    ({ vector, committed, fresh } = await run);
  } catch (e) {
    return refuse(e);
  }
  try {
    await committed;
  } catch (e) {
    report(e, doc.name);
    return;
  }
  if (c.phase === "open") {
    // Its lease: everything up to the ack went out before it, in order, unless streaming is paused.
    doc.leases.acked(c, c.paused ? (c.known ?? vector) : vector);
    // On the wire, the client's own entry: all a client reads from an ack (its outbox drops what
    // the entry covers), and a lower bound of what is merged, as the ack promises. A client that
    // opened by name said no replica in its hello: it gets the whole vector.
    const own = c.replica === "" ? 0 : vector.get(c.replica);
    send(c, { type: "ack", vector: own > 0 ? versionVector([[c.replica, own]]) : vector });
  }
  if (fresh) ctx.published?.(doc, bytes);
}
