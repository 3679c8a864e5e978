import { FORMAT_VERSION } from "@converge/core/codec";
import { ConfigError, type ConvergeError, isConvergeError } from "@converge/hlc";
import { ChunkAssembler, payloadFrames } from "./_internals/chunks.ts";
import { type HostDocument, type HostDocumentHooks, loadHostDocument } from "./_internals/host-document.ts";
import {
  type Conn,
  isClosed,
  type MergeContext,
  mergePayload,
  type OpRelay,
} from "./_internals/host-merge.ts";
import type { HubLinks, HubLinksOptions } from "./_internals/hub-links.ts";
import { DEFAULT_LEASE_MS } from "./_internals/lease-floor.ts";
import { NOOP } from "./_internals/noop.ts";
import { outgoing } from "./_internals/outgoing.ts";
import { isRefusal, refusalError } from "./_internals/refusal-error.ts";
import { sendCatchUp } from "./_internals/reset-catch-up.ts";
import { defaultTimers } from "./_internals/timers.ts";
import { SyncError } from "./errors.ts";
import { decodeFrames, encodeMessage } from "./frame-codec.ts";
import type { DocumentConfig, HostLimits, HostOptions, SyncHost } from "./host-types.ts";
import { memoryStore } from "./memory-store.ts";
import {
  type Access,
  type HelloMessage,
  type Message,
  PROTOCOL_VERSION,
  type RefusalCode,
} from "./messages.ts";
import { SETTLED } from "./store-policy.ts";
import { CloseCode } from "./transport.ts";

/** Every limit's default (see {@link HostLimits}). */
const DEFAULT_LIMITS: Required<HostLimits> = {
  handshakeTimeoutMs: 10_000,
  maxPendingHandshakes: 1000,
  maxFrameBytes: 1024 * 1024,
  framesPerSecond: 1000,
  bytesPerSecond: 8 * 1024 * 1024,
  sendQueueBytes: 4 * 1024 * 1024,
  maxPayloadBytes: 64 * 1024 * 1024,
};

// Shared by every connection (a host keeps thousands; nothing writes to them).
const NO_ACCESS: Access = { mode: "none" };
const WRITE_ACCESS: Access = { mode: "write" };

/** How a host links to its hub (`hubLinks`); absent, the host has no hub code at all. */
export type LinkHub = (options: HubLinksOptions) => HubLinks;

/**
 * @internal The host, given how to link to a hub and relay small turns as ops: `createSyncHost`
 * passes `hubLinks` and `opRelay`, `createLocalHost` neither, so a page that bundles only the
 * latter carries none of that code.
 *
 * The server side of the protocol, isomorphic (no Node API). Documents load lazily on their first
 * connection (`documents(name)` for the config, the store for the records). Per connection:
 *
 * 1. handshake, in this order: protocol (`UPGRADE_REQUIRED`), payload format (`FORMAT_VERSION`),
 *    document (`UNKNOWN_DOCUMENT`), `authenticate` (`UNAUTHORIZED`, or the converge code it
 *    threw), `authorize` (`FORBIDDEN` for mode none), fingerprint (`CONFIG_MISMATCH` naming the
 *    document's and the client's, or the manifest when the hello carries none). A refusal is a
 *    `refuse` frame, then a close with the matching {@link CloseCode};
 * 2. welcome with the document's committed vector, then one delta from the client's vector;
 * 3. each client payload: a read-only principal's is refused (`reject FORBIDDEN`); with key
 *    patterns, every key is checked before merging and the whole frame refused otherwise; what
 *    the merges of one turn changed goes to every streaming connection as one delta (the same
 *    bytes for all); a payload is acknowledged with the document's vector once the store
 *    committed it and its turn's relay was queued.
 *
 * Limits: handshake timeout and cap, frames/s and bytes/s (`RATE_LIMITED` close), frame size
 * (`FRAME_TOO_LARGE` close), send queue (backpressure: no more streaming to a connection whose
 * pending bytes passed `sendQueueBytes`; once under half of it, one delta from its known vector).
 * A malformed frame closes only its connection (`MALFORMED`); nothing else is affected.
 */
export function buildHost(options: HostOptions, linkHub: LinkHub | undefined, relayOps?: OpRelay): SyncHost {
  const timers = options.timers ?? defaultTimers;
  const store = options.store ?? memoryStore();
  const metrics = options.metrics;
  const limits: { -readonly [K in keyof HostLimits]-?: number } = { ...DEFAULT_LIMITS };
  // Given limits override the defaults; one left undefined (or null) keeps its default.
  for (const [name, value] of Object.entries(options.limits ?? {}))
    limits[name as keyof HostLimits] = value ?? limits[name as keyof HostLimits];
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const docs = new Map<string, Promise<HostDocument<Conn>>>();
  const conns = new Set<Conn>();
  const errorListeners = new Set<(error: ConvergeError, document: string | undefined) => void>();
  let pending = 0;
  let closed = false;

  const report = (error: unknown, document: string | undefined): void => {
    if (!isConvergeError(error)) return;
    for (const l of [...errorListeners]) {
      try {
        l(error, document);
      } catch {
        // A listener's failure is its own.
      }
    }
  };
  // One attribute object per document, so a sink can key its series by identity.
  const noAttrs: Readonly<Record<string, string>> = Object.freeze({});
  const docAttrs = new WeakMap<HostDocument<Conn>, Readonly<Record<string, string>>>();
  const attrs = (c: Conn): Readonly<Record<string, string>> => {
    const doc = c.doc;
    if (doc === undefined) return noAttrs;
    let a = docAttrs.get(doc);
    if (a === undefined) {
      a = Object.freeze({ document: doc.name });
      docAttrs.set(doc, a);
    }
    return a;
  };

  // Everything a turn sends to a connection goes out as one write (a batch frame past one).
  const out = outgoing<Conn>(
    limits.maxFrameBytes,
    (c, frame) => {
      if (c.phase === "closed") return;
      metrics?.count("frames_out", 1, attrs(c));
      metrics?.count("bytes_out", frame.length, attrs(c));
      c.transport.send(frame);
    },
    undefined,
    relayOps?.share,
  );
  const sendFrame = (c: Conn, frame: Uint8Array): void => {
    if (c.phase !== "closed") out.push(c, frame);
  };
  const send = (c: Conn, m: Message): void => sendFrame(c, encodeMessage(m));
  // A relayed payload goes to every other connection of its document: its frames are encoded once
  // (a payload that fits one frame carries no per-connection field) and the bytes reused.
  let lastPayload: Uint8Array | undefined;
  let lastFrame: Uint8Array | undefined;
  const sendPayload = (c: Conn, payload: Uint8Array): void => {
    if (payload === lastPayload && lastFrame !== undefined) {
      sendFrame(c, lastFrame);
      return;
    }
    const frames = payloadFrames(payload, limits.maxFrameBytes, c.chunkId++);
    if (frames.length === 1) {
      lastPayload = payload;
      lastFrame = frames[0];
    }
    for (const f of frames) sendFrame(c, f);
  };

  const drop = (c: Conn, code: number, reason: string): void => {
    if (c.phase === "closed") return;
    out.flush(c);
    c.transport.close(code, reason);
  };
  const refuse = (
    c: Conn,
    code: RefusalCode,
    message: string,
    close: number,
    extra: { readonly expected?: string; readonly received?: string } = {},
  ): void => {
    metrics?.count("refusals", 1, { code });
    report(refusalError(code, message, extra), c.doc?.name);
    send(c, { type: "refuse", code, message, ...extra });
    drop(c, close, code);
  };

  // One hooks object for every document (a host keeps thousands); sleep ticks on the host's timers.
  const documentHooks: HostDocumentHooks<Conn> = {
    now: timers.now,
    leaseMs,
    // Compaction first sends the pending turn relay (HostDocument.beforeSnapshot): all was sent.
    sent: (c) => (c.phase !== "open" ? undefined : c.paused ? c.known : c.doc?.map.versionVector()),
    compacted: (d, floor) => {
      for (const c of d.connections)
        if (c.phase === "open" && !c.paused) send(c, { type: "compacted", floor });
    },
    timers,
  };
  const loadDocument = (name: string, config: DocumentConfig): Promise<HostDocument<Conn>> => {
    let doc = docs.get(name);
    if (doc === undefined) {
      doc = loadHostDocument<Conn>(store, name, config, options.storePolicy?.compactBytes, documentHooks);
      docs.set(name, doc);
      doc.then(
        (d) => {
          metrics?.gauge("documents", docs.size);
          hubs?.attach(d);
        },
        () => docs.delete(name),
      );
    }
    return doc;
  };

  const hello = async (c: Conn, m: HelloMessage): Promise<void> => {
    if (m.protocol !== PROTOCOL_VERSION)
      return refuse(
        c,
        "UPGRADE_REQUIRED",
        `protocol ${m.protocol}; this server speaks ${PROTOCOL_VERSION}`,
        CloseCode.UPGRADE_REQUIRED,
      );
    if (m.format !== FORMAT_VERSION)
      return refuse(
        c,
        "FORMAT_VERSION",
        `payload format ${m.format}; this server reads ${FORMAT_VERSION}`,
        CloseCode.UPGRADE_REQUIRED,
      );
    const config = await options.documents(m.document);
    if (config === undefined)
      return refuse(c, "UNKNOWN_DOCUMENT", `no document ${JSON.stringify(m.document)}`, CloseCode.FORBIDDEN);
    try {
      c.principal =
        options.authenticate === undefined ? null : await options.authenticate(m.credentials, c.info ?? {});
    } catch (e) {
      const code = isConvergeError(e) && isRefusal(e.code) ? e.code : "UNAUTHORIZED";
      const why = e instanceof Error ? e.message : "credentials refused";
      return refuse(c, code, why, code === "FORBIDDEN" ? CloseCode.FORBIDDEN : CloseCode.UNAUTHORIZED);
    }
    const access =
      options.authorize === undefined ? WRITE_ACCESS : await options.authorize(c.principal, m.document);
    if (access.mode === "none")
      return refuse(
        c,
        "FORBIDDEN",
        `no access to document ${JSON.stringify(m.document)}`,
        CloseCode.FORBIDDEN,
      );
    const doc = await loadDocument(m.document, config);
    if (c.phase === "closed") return;
    c.doc = doc;
    if (m.fingerprint !== null && m.fingerprint !== doc.map.fingerprint)
      return refuse(
        c,
        "CONFIG_MISMATCH",
        `document rules ${doc.map.fingerprint}, client rules ${m.fingerprint}`,
        CloseCode.CONFIG_MISMATCH,
        {
          expected: doc.map.fingerprint,
          received: m.fingerprint,
        },
      );
    const manifest = config.manifest;
    if (m.fingerprint === null && manifest === undefined)
      return refuse(
        c,
        "CONFIG_MISMATCH",
        "this document serves no manifest: bring its rules",
        CloseCode.CONFIG_MISMATCH,
        {
          expected: doc.map.fingerprint,
          received: "",
        },
      );
    // Welcome with what is committed: a client drops from its outbox what the vector covers.
    await doc.keeper.flush();
    if (isClosed(c)) return;
    c.access = access;
    c.client = `${doc.nextClient++}`;
    c.replica = /^0+$/.test(m.replica) ? "" : m.replica;
    c.phase = "open";
    // The transport's info (a WebSocket's headers) served authenticate: an open connection keeps none.
    c.info = undefined;
    pending--;
    timers.clearTimeout(c.timer);
    c.timer = undefined;
    const vector = doc.map.versionVector();
    send(c, {
      type: "welcome",
      fingerprint: doc.map.fingerprint,
      manifest: m.fingerprint === null ? (manifest ?? null) : null,
      vector,
      access,
      client: c.client,
    });
    // From here to the lease nothing awaits: no compaction runs between the reset decision, the
    // catch-up computed against the same state, and the lease that then counts the client.
    sendCatchUp(doc, c, m.vector, send, sendPayload, metrics);
    c.known = m.vector.merge(vector);
    const lease = doc.leases.welcomed(c, m.replica, c.known);
    if (lease !== undefined) void doc.keeper.setPeer(lease).catch((e: unknown) => report(e, doc.name));
    for (const other of doc.connections)
      if (other.presence !== null) send(c, { type: "presence", client: other.client, state: other.presence });
    doc.connections = doc.connections.concat([c]);
  };

  const ctx: MergeContext = {
    limits,
    timers,
    metrics,
    send,
    sendPayload,
    pendingBytes: (c) => c.transport.pendingBytes() + out.queuedBytes(c),
    report,
    onChange: options.onChange,
    opRelay: relayOps,
    // Published once its ack left for the client's transport (commit, ack, then publish).
    published: (doc, bytes) => {
      if (hubs !== undefined) out.after(() => hubs.published(doc, bytes));
    },
  };
  if (options.hub !== undefined && linkHub === undefined)
    throw new ConfigError("createLocalHost takes no hub: use createSyncHost");
  const hubs =
    options.hub === undefined || linkHub === undefined
      ? undefined
      : linkHub({ hub: options.hub, digestMs: options.hubDigestMs, timers, metrics, merge: ctx, report });

  const failed =
    (c: Conn) =>
    (e: unknown): void => {
      report(e, c.doc?.name);
      drop(c, CloseCode.MALFORMED, "FRAME_MALFORMED");
    };
  const handle = async (c: Conn, m: Message): Promise<void> => {
    if (c.phase === "handshake") {
      if (m.type !== "hello") throw new SyncError("FRAME_MALFORMED", `a ${m.type} before the hello`);
      return hello(c, m);
    }
    const doc = c.doc;
    if (c.phase !== "open" || doc === undefined) return;
    switch (m.type) {
      // A payload takes its place in the document's merge order now; its commit and ack follow
      // without holding up the connection's next frames (so one client's writes share commits).
      case "payload":
        void mergePayload(ctx, c, doc, m.payload).catch(failed(c));
        return;
      case "chunk": {
        if (c.assembler === undefined) c.assembler = new ChunkAssembler(limits.maxPayloadBytes);
        const whole = c.assembler.add(m);
        if (whole !== undefined) void mergePayload(ctx, c, doc, whole).catch(failed(c));
        return;
      }
      case "presence":
        c.presence = m.state;
        for (const other of doc.connections)
          if (other !== c && other.phase === "open")
            send(other, { type: "presence", client: c.client, state: m.state });
        return;
      case "ping":
        return send(c, { type: "pong", nonce: m.nonce });
      case "pong":
        return;
      default:
        throw new SyncError("FRAME_MALFORMED", `a ${m.type} from a client`);
    }
  };

  const onFrame = (c: Conn, frame: Uint8Array): void => {
    if (c.phase === "closed") return;
    metrics?.count("frames_in", 1, attrs(c));
    metrics?.count("bytes_in", frame.length, attrs(c));
    const now = timers.now();
    if (now - c.windowStart >= 1000) {
      c.windowStart = now;
      c.windowFrames = 0;
      c.windowBytes = 0;
    }
    c.windowFrames++;
    c.windowBytes += frame.length;
    if (c.windowFrames > limits.framesPerSecond || c.windowBytes > limits.bytesPerSecond) {
      metrics?.count("refusals", 1, { code: "RATE_LIMITED" });
      report(new SyncError("RATE_LIMITED", "too many frames or bytes per second"), c.doc?.name);
      drop(c, CloseCode.RATE_LIMITED, "RATE_LIMITED");
      return;
    }
    if (frame.length > limits.maxFrameBytes) {
      metrics?.count("refusals", 1, { code: "FRAME_TOO_LARGE" });
      report(new SyncError("FRAME_TOO_LARGE", `frame of ${frame.length} bytes`), c.doc?.name);
      drop(c, CloseCode.FRAME_TOO_LARGE, "FRAME_TOO_LARGE");
      return;
    }
    let messages: readonly Message[];
    try {
      // A batch is decoded whole before any of it is handled: a bad frame inside refuses it all.
      messages = decodeFrames(frame, { maxFrameBytes: limits.maxFrameBytes });
    } catch (e) {
      metrics?.count("refusals", 1, { code: "FRAME_MALFORMED" });
      report(e, c.doc?.name);
      drop(c, CloseCode.MALFORMED, "FRAME_MALFORMED");
      return;
    }
    c.queue = c.queue
      .then(async () => {
        for (const m of messages) await handle(c, m);
      })
      .catch(failed(c));
  };

  const onClose = (c: Conn): void => {
    if (c.phase === "handshake") {
      pending--;
      timers.clearTimeout(c.timer);
      c.timer = undefined;
    }
    c.phase = "closed";
    conns.delete(c);
    metrics?.gauge("connections", conns.size);
    const doc = c.doc;
    doc?.leases.left(c, c.replica);
    if (doc === undefined || !doc.connections.includes(c)) return;
    doc.connections = doc.connections.filter((o) => o !== c);
    if (c.presence !== null)
      for (const other of doc.connections) send(other, { type: "presence", client: c.client, state: null });
  };

  return {
    accept: (transport, info = {}) => {
      if (closed) {
        transport.close(CloseCode.GOING_AWAY, "server closed");
        return;
      }
      if (pending >= limits.maxPendingHandshakes) {
        metrics?.count("refusals", 1, { code: "RATE_LIMITED" });
        transport.close(CloseCode.RATE_LIMITED, "too many pending handshakes");
        return;
      }
      const c: Conn = {
        transport,
        info,
        phase: "handshake",
        doc: undefined,
        principal: null,
        access: NO_ACCESS,
        client: "",
        replica: "",
        known: undefined,
        paused: false,
        presence: null,
        queue: SETTLED,
        assembler: undefined,
        windowStart: timers.now(),
        windowFrames: 0,
        windowBytes: 0,
        timer: undefined,
        chunkId: 0,
      };
      pending++;
      conns.add(c);
      metrics?.gauge("connections", conns.size);
      c.timer = timers.setTimeout(() => {
        if (c.phase !== "handshake") return;
        metrics?.count("handshake_timeouts", 1);
        drop(c, CloseCode.HANDSHAKE_TIMEOUT, "no handshake in time");
      }, limits.handshakeTimeoutMs);
      transport.onFrame((frame) => onFrame(c, frame));
      transport.onClose(() => onClose(c));
      if (!transport.isOpen()) onClose(c);
    },
    document: async (name) => {
      const config = await options.documents(name);
      if (config === undefined)
        throw new SyncError("UNKNOWN_DOCUMENT", `no document ${JSON.stringify(name)}`);
      return (await loadDocument(name, config)).map;
    },
    stats: () => ({ connections: conns.size, documents: docs.size, pendingHandshakes: pending }),
    onError: (listener) => {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    onHubStatus: (listener) => hubs?.onStatus(listener) ?? NOOP,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const c of [...conns]) drop(c, CloseCode.GOING_AWAY, "server closing");
      await hubs?.close();
      for (const d of docs.values()) {
        try {
          await (await d).keeper.flush();
        } catch (e) {
          report(e, undefined);
        }
      }
      await store.close();
    },
  };
}
