import { type ReplicatedMap, toValue, type Value, type VersionVector, versionVector } from "@converge/core";
import { FORMAT_VERSION } from "@converge/core/codec";
import { type ConvergeError, isConvergeError } from "@converge/hlc";
import { ChunkAssembler, payloadFrames } from "./_internals/chunks.ts";
import { outgoing } from "./_internals/outgoing.ts";
import { refusalError } from "./_internals/refusal-error.ts";
import { resetReplica } from "./_internals/reset-replica.ts";
import { defaultTimers } from "./_internals/timers.ts";
import { SyncError } from "./errors.ts";
import { decodeFrames, encodeMessage } from "./frame-codec.ts";
import { type Access, type Message, PROTOCOL_VERSION, type WelcomeMessage } from "./messages.ts";
import { sessionEmitter } from "./session-emitter.ts";
import { sessionOutbox } from "./session-outbox.ts";
import type { SessionOptions, SyncSession } from "./session-types.ts";
import { CloseCode, type Transport } from "./transport.ts";

const emptyVector = versionVector();

/** Payloads larger than this are merged with `applyAsync`, yielding to the event loop. */
const ASYNC_APPLY_BYTES = 64 * 1024;

/** Refusals after which retrying cannot help (UNAUTHORIZED unless credentials can be refreshed). */
const FINAL = new Set([
  "CONFIG_MISMATCH",
  "UPGRADE_REQUIRED",
  "FORMAT_VERSION",
  "UNKNOWN_DOCUMENT",
  "FORBIDDEN",
]);

interface Link {
  readonly transport: Transport;
  welcomed: boolean;
  caughtUp: boolean;
  client: string;
  /** The server's vector in the welcome. */
  vector: VersionVector;
  /** The next whole payload replaces the map's state: after a reset, or to rebuild damaged records. */
  replaceNext: boolean;
  /** Why: the reset's floor, or undefined for a rebuild. */
  floor: VersionVector | undefined;
  queue: Promise<void>;
  readonly assembler: ChunkAssembler;
}

/** How a session gets its map: given, or built from the server's manifest on the first welcome. */
export type MapSource =
  | { readonly kind: "given"; readonly map: ReplicatedMap }
  | {
      readonly kind: "manifest";
      /**
       * The map for the first welcome, built from its manifest, or the refusal that ends the
       * session (`CONFIG_MISMATCH`: the built rules do not have the document's fingerprint).
       *
       * @throws SyncError (`FRAME_MALFORMED`) for a welcome without the manifest.
       */
      readonly open: (welcome: WelcomeMessage) => Promise<ReplicatedMap | ConvergeError>;
    };

/** @internal The session state machine behind `connect` and `openDocument`. */
export function startSession(
  source: MapSource,
  options: SessionOptions,
  onReady?: (error?: ConvergeError) => void,
): SyncSession {
  const timers = options.timers ?? defaultTimers;
  const random = options.random ?? Math.random;
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  const initialMs = options.backoff?.initialMs ?? 250;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const metrics = options.metrics;

  let map: ReplicatedMap | undefined = source.kind === "given" ? source.map : undefined;
  let closed = false;
  let link: Link | undefined;
  let failures = 0;
  let retry: unknown;
  let abort: AbortController | undefined;
  let access: Access | undefined;
  let mine: Value | null = null;
  const others = new Map<string, Value>();
  let chunkId = 0;
  const events = sessionEmitter();
  const { emit, setStatus } = events;
  const fail = (error: ConvergeError): void => emit("error", error);
  const outbox = sessionOutbox(options.store, options.loaded, () => map, fail, metrics);
  // Damaged records are reported once the load settled, before the first attempt.
  const ready = outbox.ready.then(() => {
    const damage = outbox.damage();
    if (damage === undefined) return;
    fail(damage.error);
    emit("corrupt", damage.error);
  });

  // What a turn sends goes out as one write (a batch frame past one), as the host does.
  const out = outgoing<Link>(maxFrameBytes, (l, frame) => {
    metrics?.count("frames_out", 1);
    metrics?.count("bytes_out", frame.length);
    l.transport.send(frame);
  });
  const send = (l: Link, m: Message): void => out.push(l, encodeMessage(m));
  const sendPayload = (l: Link, payload: Uint8Array): void => {
    for (const frame of payloadFrames(payload, maxFrameBytes, chunkId++)) out.push(l, frame);
  };

  const checkSynced = (): void => {
    const l = link;
    if (l === undefined || !l.welcomed || !l.caughtUp) return;
    const writes = access?.mode === "write";
    setStatus(!writes || outbox.entries().length === 0 ? "synced" : "syncing");
  };

  let unsubscribeOps: (() => void) | undefined;
  const attach = (m: ReplicatedMap): void => {
    const queued = outbox.attach(m, (op) => {
      const l = link;
      if (l?.welcomed === true && access?.mode === "write") sendPayload(l, op);
    });
    const watched = m.onOp(() => {
      if (events.status() === "synced") checkSynced();
    });
    unsubscribeOps = () => {
      queued();
      watched();
    };
  };
  if (map !== undefined) attach(map);

  /** Takes the server's state instead of merging it, re-applying the outbox on top. */
  const replace = (l: Link, m: ReplicatedMap, bytes: Uint8Array): void => {
    const damage = outbox.damage();
    // Everything of its own the server's state lacks: the delta since the server's vector (also
    // ops made while no session was attached), then the outbox and the damaged records' ops.
    const ops = [m.encodeDelta(l.vector), ...(damage?.ops ?? []), ...outbox.entries().map((e) => e.op)];
    resetReplica(m, bytes, ops, fail);
    l.replaceNext = false;
    outbox.repaired();
    outbox.rewrite();
    metrics?.count("resets", 1);
    emit("reset", l.floor);
    // A rebuild sent nothing at the welcome: what the server lacks goes now.
    if (damage !== undefined && access?.mode === "write") sendPayload(l, m.encodeDelta(l.vector));
  };

  const apply = async (l: Link, bytes: Uint8Array): Promise<void> => {
    const m = map as ReplicatedMap;
    try {
      if (l.replaceNext) {
        replace(l, m, bytes);
        l.caughtUp = true;
        checkSynced();
        return;
      }
      if (bytes.length > ASYNC_APPLY_BYTES) await m.applyAsync(bytes);
      else m.apply(bytes);
    } catch (e) {
      if (!isConvergeError(e)) throw e;
      fail(e);
      // A delta whose base is missing here: a new handshake computes one from what this has.
      if (e.code === "DELTA_UNKNOWN_BASE") l.transport.close(CloseCode.NORMAL, "resync");
      return;
    }
    outbox.append(bytes);
    if (!l.caughtUp) {
      l.caughtUp = true;
      checkSynced();
    }
  };

  const finish = (error: ConvergeError | undefined): void => {
    if (closed) return;
    closed = true;
    if (retry !== undefined) timers.clearTimeout(retry);
    abort?.abort();
    unsubscribeOps?.();
    if (link !== undefined) {
      out.flush(link);
      link.transport.close(CloseCode.NORMAL, "session closed");
    }
    link = undefined;
    setStatus("closed");
    const why = error ?? new SyncError("SESSION_CLOSED", "the session was closed");
    events.rejectAll(why);
    onReady?.(why);
  };

  const handle = async (l: Link, m: Message): Promise<void> => {
    switch (m.type) {
      case "welcome": {
        if (l.welcomed) throw new SyncError("FRAME_MALFORMED", "a second welcome");
        if (map === undefined) {
          if (source.kind !== "manifest") throw new SyncError("FRAME_MALFORMED", "no map");
          const opened = await source.open(m);
          if (isConvergeError(opened)) {
            fail(opened);
            finish(opened);
            return;
          }
          map = opened;
          attach(map);
        }
        if (m.access.mode === "write" && options.store !== undefined) {
          // The catch-up delta carries local ops too: let every one made so far become durable
          // first (ops made during this wait travel in the delta; see PROTOCOL.md, "Stores").
          await outbox.settled();
          if (l !== link || closed) return;
        }
        l.welcomed = true;
        l.client = m.client;
        l.vector = m.vector;
        access = m.access;
        failures = 0;
        setStatus("syncing");
        onReady?.();
        outbox.ackTo(m.vector.get(map.id));
        // The welcome's vector is committed on the server: an acknowledgement like an ack's (a
        // link that closed before its ack came learns it here).
        emit("ack", m.vector);
        // What the server lacks, as one delta from its vector: every unacknowledged op is in it
        // (a rebuild sends it once it has the server's state: its own is not trusted).
        if (m.access.mode === "write" && !l.replaceNext) sendPayload(l, map.encodeDelta(m.vector));
        if (mine !== null) send(l, { type: "presence", client: l.client, state: mine });
        return;
      }
      case "payload":
        if (l.welcomed) await apply(l, m.payload);
        return;
      case "chunk": {
        const whole = l.assembler.add(m);
        if (whole !== undefined && l.welcomed) await apply(l, whole);
        return;
      }
      case "ack":
        if (map !== undefined) outbox.ackTo(m.vector.get(map.id));
        emit("ack", m.vector);
        checkSynced();
        return;
      case "reject":
        fail(refusalError(m.code, m.message, m));
        if (m.code === "DELTA_UNKNOWN_BASE" && map !== undefined) sendPayload(l, map.encodeState());
        return;
      case "refuse": {
        const error = refusalError(m.code, m.message, m);
        fail(error);
        const refreshable = m.code === "UNAUTHORIZED" && typeof options.credentials === "function";
        if (FINAL.has(m.code) || (m.code === "UNAUTHORIZED" && !refreshable)) finish(error);
        return;
      }
      case "presence":
        if (m.state === null) others.delete(m.client);
        else others.set(m.client, m.state);
        emit("presence", m.client, m.state);
        return;
      case "ping":
        send(l, { type: "pong", nonce: m.nonce });
        return;
      case "pong":
        return;
      case "compacted":
        // Only once it covers the floor: then it collects exactly what the server did.
        if (map !== undefined && !l.replaceNext && map.versionVector().dominates(m.floor))
          map.compact([m.floor]);
        return;
      case "reset":
        if (!l.welcomed) throw new SyncError("FRAME_MALFORMED", "a reset before the welcome");
        l.replaceNext = true;
        l.floor = m.floor;
        return;
      case "hello":
        throw new SyncError("FRAME_MALFORMED", "a hello from the server");
      case "batch":
        throw new SyncError("FRAME_MALFORMED", "a batch inside a batch");
    }
  };

  const onFrame = (l: Link, frame: Uint8Array): void => {
    metrics?.count("frames_in", 1);
    metrics?.count("bytes_in", frame.length);
    l.queue = l.queue.then(async () => {
      if (link !== l) return;
      try {
        // A batch is decoded whole before any of it is handled: a bad frame inside refuses it all.
        const messages = decodeFrames(frame, { maxFrameBytes });
        for (const m of messages) {
          if (link !== l) return;
          await handle(l, m);
        }
      } catch (e) {
        if (isConvergeError(e)) fail(e);
        l.transport.close(CloseCode.MALFORMED, "malformed frame");
      }
    });
  };

  // Frames that arrived before the close are handled first (a refusal comes just before it).
  const onLinkClosed = (l: Link): void => {
    l.queue = l.queue.then(() => linkClosed(l));
  };
  const linkClosed = (l: Link): void => {
    if (link !== l) return;
    link = undefined;
    for (const client of [...others.keys()]) {
      others.delete(client);
      emit("presence", client, null);
    }
    if (closed) return;
    setStatus("offline");
    schedule();
  };

  const schedule = (): void => {
    const cap = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
    failures++;
    retry = timers.setTimeout(() => {
      retry = undefined;
      void attempt();
    }, random() * cap);
  };

  const attempt = async (): Promise<void> => {
    if (closed) return;
    setStatus("connecting");
    const ac = new AbortController();
    abort = ac;
    let transport: Transport;
    let credentials: string | null;
    try {
      await ready;
      const c = options.credentials;
      credentials = typeof c === "function" ? await c() : (c ?? null);
      transport = await options.dial(ac.signal);
    } catch (e) {
      if (isConvergeError(e)) fail(e);
      if (closed) return;
      setStatus("offline");
      schedule();
      return;
    }
    if (closed || !transport.isOpen()) {
      transport.close(CloseCode.NORMAL, "session closed");
      if (!closed) {
        setStatus("offline");
        schedule();
      }
      return;
    }
    const l: Link = {
      transport,
      welcomed: false,
      caughtUp: false,
      client: "",
      vector: emptyVector,
      // Damaged records: the hello says it has nothing, and the first payload replaces the state.
      replaceNext: outbox.damage() !== undefined,
      floor: undefined,
      queue: Promise.resolve(),
      assembler: new ChunkAssembler(Number.MAX_SAFE_INTEGER),
    };
    link = l;
    transport.onFrame((frame) => onFrame(l, frame));
    transport.onClose(() => onLinkClosed(l));
    send(l, {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      format: FORMAT_VERSION,
      document: options.document,
      replica: map?.id ?? "0000000000000000",
      fingerprint: map?.fingerprint ?? null,
      vector: l.replaceNext ? emptyVector : (map?.versionVector() ?? emptyVector),
      credentials,
    });
  };

  const session: SyncSession = {
    get map(): ReplicatedMap {
      if (map === undefined) throw new SyncError("SESSION_CLOSED", "the document has not been opened");
      return map;
    },
    status: events.status,
    access: () => access,
    whenSynced: () => {
      if (events.status() === "synced") return Promise.resolve();
      if (closed) return Promise.reject(new SyncError("SESSION_CLOSED", "the session is closed"));
      return events.waitSynced();
    },
    whenCommitted: () => outbox.flush(),
    outboxSize: () => outbox.entries().length,
    setPresence: (state) => {
      mine = state === null ? null : toValue(state);
      const l = link;
      if (l?.welcomed === true) send(l, { type: "presence", client: l.client, state });
    },
    presence: () => new Map(others),
    on: events.on,
    close: async () => {
      finish(undefined);
      await outbox.flush();
    },
  };
  void attempt();
  return session;
}
