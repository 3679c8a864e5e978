import { type ReplicaId, type Value, type VersionVector, versionVector } from "@converge/core";
import { isConvergeError } from "@converge/hlc";
import type { ConnectionInfo, HostChangeEvent } from "../host-types.ts";
import type { Access, Message } from "../messages.ts";
import type { MetricsSink } from "../metrics.ts";
import type { Timers } from "../session-types.ts";
import type { Transport } from "../transport.ts";
import type { ChunkAssembler } from "./chunks.ts";
import type { HostDocument, TurnRelay } from "./host-document.ts";
import { keyAllowed } from "./key-patterns.ts";
import { NOOP } from "./noop.ts";
import { deferToNextTurn, type Pack } from "./outgoing.ts";

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

/**
 * What lets a host relay a small turn as its ops (op-relay.ts): `createSyncHost` passes it;
 * `createLocalHost`, serving a few tabs, relays every turn as one delta, and a page carries none
 * of this code.
 */
export interface OpRelay {
  /** Notes a fresh merge of `bytes`: kept while the turn's merges are few small ops. */
  readonly note: (relay: TurnRelay, bytes: Uint8Array) => void;
  /**
   * Sends the ops `relay` kept to every streaming connection of `doc`, which then has `vector`;
   * false (nothing sent) when it kept none: the turn goes as one delta.
   */
  readonly send: (
    ctx: MergeContext,
    doc: HostDocument<Conn>,
    relay: TurnRelay,
    vector: TurnRelay["from"],
  ) => boolean;
  /** Wraps the host's packing of a connection's frames: the ops `send` relays are packed once for all. */
  readonly share: (pack: Pack) => Pack;
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
  /** Relays small turns as their ops (`createSyncHost`); undefined: every turn is one delta. */
  readonly opRelay: OpRelay | undefined;
  /** Called once a client's new payload is committed and acknowledged (the hub publishes it). */
  readonly published?: (doc: HostDocument<Conn>, bytes: Uint8Array) => void;
}

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
 * The relay of the merges of this turn of `doc`, started by the first of them (before it
 * applies). Laws: once the turn's merges ran — in the next turn, behind them on the document's
 * chain — every streaming connection gets what they changed, the writers included (their own
 * writes in it change nothing there): with `ctx.opRelay`, the turn's op payloads themselves, in
 * merge order, when there were few (see op-relay.ts), else one delta from the vector before the
 * first of them; the same bytes for all. Every streaming connection has everything up to that vector (all
 * earlier changes went to it in order), so a delta's base is always there and the ops apply
 * there as they applied here. A connection paused part-way keeps its old `known` and gets a delta
 * from it when it drains. Merges that run after the relay start the next. `done` settles once the
 * relay is queued, so an ack queued after it follows, on the wire, every change it covers. A turn
 * whose merges changed nothing sends nothing.
 */
function turnRelay(ctx: MergeContext, doc: HostDocument<Conn>): TurnRelay {
  if (doc.relay !== undefined) return doc.relay;
  let settle: (() => void) | undefined;
  const relay: TurnRelay = {
    from: doc.map.versionVector(),
    changed: false,
    done: new Promise<void>((resolve) => {
      settle = resolve;
    }),
    flush: () => {
      // Only the pending relay sends (it is the pending one until it flushes).
      if (doc.relay !== relay) return;
      doc.relay = undefined;
      try {
        if (relay.changed) {
          const { map } = doc;
          const vector = map.versionVector();
          if (!ctx.opRelay?.send(ctx, doc, relay, vector)) {
            const delta = map.encodeDelta(relay.from);
            for (const o of doc.connections)
              stream(ctx, o, doc, (c) => {
                ctx.sendPayload(c, delta);
                c.known = vector;
              });
          }
        }
      } catch (e) {
        ctx.report(e, doc.name);
      }
      settle?.();
    },
  };
  doc.relay = relay;
  deferToNextTurn(() => {
    doc.chain = doc.chain.then(relay.flush);
  });
  return relay;
}

/** What a merge hands back from the document's chain: its vector, commit, freshness, relay. */
type Merged = readonly [
  vector: VersionVector,
  committed: Promise<void>,
  fresh: boolean,
  relayed: Promise<void>,
];

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
  const { timers, metrics, send, report } = ctx;
  const attrs = { document: doc.name };
  // A `reject` frame with its refusal counted; nothing of the payload was merged.
  const reject = (code: string, message: string, keys: readonly string[] = []): void => {
    metrics?.count("refusals", 1, { code });
    send(c, { type: "reject", code, message, keys });
  };
  const refuse = (e: unknown): void => {
    if (!isConvergeError(e)) throw e;
    report(e, doc.name);
    reject(e.code, e.message);
  };
  if (c.access.mode !== "write") return reject("FORBIDDEN", "read-only access: the write was not merged");
  const patterns = c.access.keys;
  if (patterns !== undefined) {
    let keys: readonly string[];
    try {
      keys = doc.map.payloadKeys(bytes);
    } catch (e) {
      return refuse(e);
    }
    const bad = keys.filter((k) => !keyAllowed(k, patterns));
    if (bad.length > 0)
      return reject("FORBIDDEN", `${bad.length} keys outside the principal's patterns; nothing merged`, bad);
  }
  // Applies of one document run one after another, so its change events belong to one apply.
  // Merges of one document run one after another; each is queued for the store and relayed in
  // that same order, so an ack's vector (taken right after its merge) is committed with it.
  const run = doc.chain.then(async () => {
    const relay = turnRelay(ctx, doc);
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
    // Nothing new (an op seen before, a catch-up delta from a client with nothing to send):
    // acknowledged, but neither stored, relayed nor published.
    if (result.duplicate) {
      metrics?.count("payloads_duplicate", 1, attrs);
      return [vector, doc.keeper.flush(), false, relay.done] as const;
    }
    metrics?.count("payloads_merged", 1, attrs);
    metrics?.count("keys_merged", result.changed, attrs);
    relay.changed = true;
    ctx.opRelay?.note(relay, bytes);
    const committed = doc.keeper.append(bytes);
    if (changed.size > 0)
      ctx.onChange?.({ document: doc.name, principal: c.principal, keys: [...changed].sort() });
    return [vector, committed, true, relay.done] as const;
  });
  doc.chain = run.then(NOOP, NOOP);
  let merged: Merged;
  try {
    merged = await run;
  } catch (e) {
    return refuse(e);
  }
  const [vector, committed, fresh, relayed] = merged;
  try {
    await committed;
  } catch (e) {
    report(e, doc.name);
    return;
  }
  // The ack follows the relay of its turn: the client has, in order, every change it covers.
  await relayed;
  if (c.phase === "open") {
    // Its lease: everything up to the ack went out before it, in order, unless streaming is paused.
    doc.leases.acked(c, c.replica, c.paused ? (c.known ?? vector) : vector);
    // On the wire, the client's own entry: all a client reads from an ack (its outbox drops what
    // the entry covers), and a lower bound of what is merged, as the ack promises. A client that
    // opened by name said no replica in its hello: it gets the whole vector.
    const own = c.replica === "" ? 0 : vector.get(c.replica);
    send(c, { type: "ack", vector: own > 0 ? versionVector([[c.replica, own]]) : vector });
  }
  if (fresh) ctx.published?.(doc, bytes);
}
