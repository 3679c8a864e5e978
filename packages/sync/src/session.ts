import { type ReplicatedMap, type Value, versionVector } from "@converge/core";
import { FORMAT_VERSION } from "@converge/core/codec";
import { type ConvergeError, isConvergeError } from "@converge/hlc";
import { ChunkAssembler, payloadFrames } from "./_internals/chunks.ts";
import { refusalError } from "./_internals/refusal-error.ts";
import { defaultTimers } from "./_internals/timers.ts";
import { SyncError } from "./errors.ts";
import { decodeMessage, encodeMessage } from "./frame-codec.ts";
import { type Access, type Message, PROTOCOL_VERSION, type RulesManifest } from "./messages.ts";
import type { SessionEvents, SessionOptions, SessionStatus, SyncSession } from "./session-types.ts";
import type { OutboxEntry } from "./store.ts";
import { type DocumentKeeper, documentKeeper } from "./store-policy.ts";
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
  queue: Promise<void>;
  readonly assembler: ChunkAssembler;
}

/** How a session gets its map: given, or built from the server's manifest on the first welcome. */
export type MapSource =
  | { readonly kind: "given"; readonly map: ReplicatedMap }
  | { readonly kind: "manifest"; readonly build: (manifest: RulesManifest) => Promise<ReplicatedMap> };

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
  let status: SessionStatus = "connecting";
  let closed = false;
  let link: Link | undefined;
  let failures = 0;
  let retry: unknown;
  let abort: AbortController | undefined;
  let outbox: OutboxEntry[] = [];
  let access: Access | undefined;
  let mine: Value | null = null;
  const others = new Map<string, Value>();
  let chunkId = 0;
  let keeper: DocumentKeeper | undefined;
  let ready: Promise<void> = Promise.resolve();
  const listeners: { [E in keyof SessionEvents]: Set<SessionEvents[E]> } = {
    status: new Set(),
    error: new Set(),
    ack: new Set(),
    presence: new Set(),
  };
  let waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  const emit = <E extends keyof SessionEvents>(event: E, ...args: Parameters<SessionEvents[E]>): void => {
    for (const l of [...listeners[event]]) {
      try {
        (l as (...a: Parameters<SessionEvents[E]>) => void)(...args);
      } catch {
        // A listener's failure is its own; the session carries on.
      }
    }
  };
  const setStatus = (next: SessionStatus): void => {
    if (status === next || status === "closed") return;
    status = next;
    emit("status", next);
    if (next === "synced") {
      const w = waiters;
      waiters = [];
      for (const x of w) x.resolve();
    }
  };
  const fail = (error: ConvergeError): void => emit("error", error);

  const send = (l: Link, m: Message): void => {
    const frame = encodeMessage(m);
    metrics?.count("frames_out", 1);
    metrics?.count("bytes_out", frame.length);
    l.transport.send(frame);
  };
  const sendPayload = (l: Link, payload: Uint8Array): void => {
    for (const frame of payloadFrames(payload, maxFrameBytes, chunkId++)) {
      metrics?.count("frames_out", 1);
      metrics?.count("bytes_out", frame.length);
      l.transport.send(frame);
    }
  };

  const checkSynced = (): void => {
    const l = link;
    if (l === undefined || !l.welcomed || !l.caughtUp) return;
    const writes = access?.mode === "write";
    setStatus(!writes || outbox.length === 0 ? "synced" : "syncing");
  };

  const ackTo = (seq: number): void => {
    if (outbox.length === 0 || (outbox[0] as OutboxEntry).seq > seq) return;
    outbox = outbox.filter((e) => e.seq > seq);
    metrics?.gauge("outbox_depth", outbox.length);
    void keeper?.ackUpTo(seq).catch((e: unknown) => reportStore(e));
  };
  const reportStore = (e: unknown): void => {
    if (isConvergeError(e)) fail(e);
  };

  let unsubscribeOps: (() => void) | undefined;
  const attach = (m: ReplicatedMap): void => {
    unsubscribeOps = m.onOp((op) => {
      const entry: OutboxEntry = { seq: m.versionVector().get(m.id), op };
      outbox.push(entry);
      metrics?.gauge("outbox_depth", outbox.length);
      void keeper?.addLocal(entry).catch((e: unknown) => reportStore(e));
      const l = link;
      if (l?.welcomed === true && access?.mode === "write") sendPayload(l, op);
      if (status === "synced") checkSynced();
    });
  };
  if (map !== undefined) attach(map);

  if (options.store !== undefined) {
    const store = options.store;
    ready = store.load().then(
      (stored) => {
        const known = new Set(stored.outbox.map((e) => e.seq));
        const made = outbox.filter((e) => !known.has(e.seq));
        outbox = [...stored.outbox, ...made].sort((a, b) => a.seq - b.seq);
        const logBytes = stored.log.reduce((n, p) => n + p.length, 0);
        keeper = documentKeeper(store, () => map as ReplicatedMap, { logBytes });
        // Operations made while the store was loading are committed now.
        for (const e of made) void keeper.addLocal(e).catch((error: unknown) => reportStore(error));
      },
      (e: unknown) => reportStore(e),
    );
  }

  const apply = async (l: Link, bytes: Uint8Array): Promise<void> => {
    const m = map as ReplicatedMap;
    try {
      if (bytes.length > ASYNC_APPLY_BYTES) await m.applyAsync(bytes);
      else m.apply(bytes);
    } catch (e) {
      if (!isConvergeError(e)) throw e;
      fail(e);
      // A delta whose base is missing here: a new handshake computes one from what this has.
      if (e.code === "DELTA_UNKNOWN_BASE") l.transport.close(CloseCode.NORMAL, "resync");
      return;
    }
    void keeper?.append(bytes).catch((e: unknown) => reportStore(e));
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
    link?.transport.close(CloseCode.NORMAL, "session closed");
    link = undefined;
    setStatus("closed");
    const w = waiters;
    waiters = [];
    const why = error ?? new SyncError("SESSION_CLOSED", "the session was closed");
    for (const x of w) x.reject(why);
    onReady?.(why);
  };

  const handle = async (l: Link, m: Message): Promise<void> => {
    switch (m.type) {
      case "welcome": {
        if (l.welcomed) throw new SyncError("FRAME_MALFORMED", "a second welcome");
        if (map === undefined) {
          if (m.manifest === null)
            throw new SyncError("FRAME_MALFORMED", "welcome without the manifest asked for");
          if (source.kind !== "manifest") throw new SyncError("FRAME_MALFORMED", "no map");
          map = await source.build(m.manifest);
          if (map.fingerprint !== m.fingerprint) {
            const error = refusalError(
              "CONFIG_MISMATCH",
              "rules built from the manifest do not match the document's",
              {
                expected: m.fingerprint,
                received: map.fingerprint,
              },
            );
            fail(error);
            finish(error);
            return;
          }
          attach(map);
        }
        l.welcomed = true;
        l.client = m.client;
        access = m.access;
        failures = 0;
        setStatus("syncing");
        onReady?.();
        ackTo(m.vector.get(map.id));
        // What the server lacks, as one delta from its vector: every unacknowledged op is in it.
        if (m.access.mode === "write") sendPayload(l, map.encodeDelta(m.vector));
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
        if (map !== undefined) ackTo(m.vector.get(map.id));
        emit("ack", m.vector);
        checkSynced();
        return;
      case "reject":
        fail(refusalError(m.code, m.message, { keys: m.keys }));
        if (m.code === "DELTA_UNKNOWN_BASE" && map !== undefined) sendPayload(l, map.encodeState());
        return;
      case "refuse": {
        const error = refusalError(m.code, m.message, {
          ...(m.expected === undefined ? {} : { expected: m.expected }),
          ...(m.received === undefined ? {} : { received: m.received }),
        });
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
      case "hello":
        throw new SyncError("FRAME_MALFORMED", "a hello from the server");
    }
  };

  const onFrame = (l: Link, frame: Uint8Array): void => {
    metrics?.count("frames_in", 1);
    metrics?.count("bytes_in", frame.length);
    l.queue = l.queue.then(async () => {
      if (link !== l) return;
      try {
        await handle(l, decodeMessage(frame, { maxFrameBytes }));
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
      vector: map?.versionVector() ?? emptyVector,
      credentials,
    });
  };

  const session: SyncSession = {
    get map(): ReplicatedMap {
      if (map === undefined) throw new SyncError("SESSION_CLOSED", "the document has not been opened");
      return map;
    },
    status: () => status,
    access: () => access,
    whenSynced: () => {
      if (status === "synced") return Promise.resolve();
      if (closed) return Promise.reject(new SyncError("SESSION_CLOSED", "the session is closed"));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    whenCommitted: async () => {
      await ready;
      await keeper?.flush();
    },
    outboxSize: () => outbox.length,
    setPresence: (state) => {
      mine = state;
      const l = link;
      if (l?.welcomed === true) send(l, { type: "presence", client: l.client, state });
    },
    presence: () => new Map(others),
    on: (event, listener) => {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    close: async () => {
      finish(undefined);
      await ready;
      await keeper?.flush();
    },
  };
  void attempt();
  return session;
}
