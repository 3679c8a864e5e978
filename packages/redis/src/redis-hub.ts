import { randomBytes } from "node:crypto";
import { ConfigError, InvalidValueError } from "@converge/hlc";
import { type Hub, type HubChannel, type HubHandlers, SyncError } from "@converge/sync";
import { Redis } from "ioredis";
import { PartAssembler, parsePart, partField, splitBytes } from "./message-parts.ts";
import { type RedisHubOptions, resolveRedisHubOptions } from "./redis-hub-options.ts";
import { lastGeneratedId, parseXread, type StreamBatch } from "./stream-entries.ts";
import { compareStreamIds, followsDirectly, type StreamId, ZERO_ID } from "./stream-id.ts";

/** A stream the reader follows: a document's stream, or this member's inbox. */
interface Followed {
  /** The key as sent to Redis. */
  readonly key: Buffer;
  /** The key's bytes as latin1 text: how XREAD replies are matched to streams. */
  readonly tag: string;
  /** The last entry read (or the stream's end when joined); undefined until first sought. */
  lastId: StreamId | undefined;
  /** Set when the hub went down: the stream must be sought again before it is read. */
  needsSeek: boolean;
}

interface Channel extends Followed {
  readonly document: string;
  readonly handlers: HubHandlers;
  /** Inbox entries up to this id predate the join: they are not this channel's. */
  inboxFrom: StreamId;
}

const latin1 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
const isReplyError = (e: unknown): boolean => (e as { name?: unknown } | null)?.name === "ReplyError";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A {@link Hub} on Redis Streams (Redis ≥ 7, or Valkey), for several converge hosts serving the
 * same documents.
 *
 * - **Layout.** One stream per document, `{prefix}doc:{document}`; one inbox stream per member,
 *   `{prefix}inbox:{member}`, for `sendTo`. Entries carry `f` (the sender's member id), `b` (the
 *   bytes) and, in inboxes, `d` (the document). Entries are added as `0-*`, so Redis numbers them
 *   without holes (0-1, 0-2, …). A message larger than `maxEntryBytes` is cut into consecutive
 *   entries that also carry `p` (`"<message> <index> <count>"`); readers put it back together,
 *   and a message whose parts cannot all be read (trimmed, lost while down) counts as a gap.
 * - **Bounded.** Every XADD trims with `MAXLEN ~ maxLen` (`inboxMaxLen` for inboxes) and carries at
 *   most `maxEntryBytes` of message, so a stream's bytes are bounded too; an inbox
 *   expires `inboxTtlMs` after its owner stopped refreshing it. Redis is fan-out, never the only
 *   copy of a write.
 * - **Reading.** One dedicated connection blocks on `XREAD` over every joined stream from the last
 *   id read (a join interrupts it with `CLIENT UNBLOCK`); bytes are read binary-safe. Entries that
 *   do not look like the hub's are dropped, never crash the reader.
 * - **Gaps.** `onGap` when an entry read is not the one right after the last (trimmed, or written
 *   by someone else), when a gap shows in the member's inbox (every channel), and on every channel
 *   when the hub comes back up (after a reconnect, a restart of Redis, a timeout).
 * - **Circuit.** No offline queue and no retries: a command that fails or has no reply within
 *   `commandTimeoutMs` (Redis stopped, `CLIENT PAUSE`, a network cut) opens the circuit: `isUp()`
 *   is false, `onStatus(false)` fires, `publish` and `sendTo` reject with `HUB_UNAVAILABLE` at once
 *   and nothing is buffered. A probe every `probeMs` (also a heartbeat while up, so a hung Redis is
 *   noticed within `probeMs + commandTimeoutMs` when idle) closes it again: each stream is sought
 *   anew (from its last id, or from its end if Redis lost it), `onStatus(true)` fires, then
 *   `onGap` on every channel. The hub starts down and comes up on its first successful probe.
 * - **Identity.** The member id is 16 random hex digits, fresh per hub.
 *
 * Options are checked at once: a bad one throws a `ConfigError` (`INVALID_CONFIG`).
 *
 * @example
 * ```ts
 * const hub = redisHub({ url: "redis://127.0.0.1:6379", maxLen: 10_000 });
 * const server = await createServer({ hub, store: sqliteStore({ path: "converge.db" }) });
 * // on shutdown: await server.close(); await hub.close();
 * ```
 */
export function redisHub(options?: RedisHubOptions): Hub {
  const o = resolveRedisHubOptions(options);
  const id = randomBytes(8).toString("hex");
  const connect = (commandTimeout: number): Redis =>
    new Redis(o.url, {
      protocol: 2, // RESP2 replies: XREAD as [[key, entries], …] (parseXread also reads RESP3's flat map)
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: o.commandTimeoutMs,
      commandTimeout,
      retryStrategy: (times: number) => Math.min(20 * times, o.probeMs),
      connectionName: `converge-hub-${id}`,
    });
  const command = connect(o.commandTimeoutMs);
  const reader = connect(o.blockMs + o.commandTimeoutMs);

  const docKeyPrefix = `${o.prefix}doc:`;
  const docTagPrefix = latin1(Buffer.from(docKeyPrefix, "utf8"));
  const inboxKey = (member: string): Buffer => Buffer.from(`${o.prefix}inbox:${member}`, "utf8");
  const followed = (key: Buffer): Followed => ({ key, tag: latin1(key), lastId: undefined, needsSeek: true });
  const inbox: Followed = { ...followed(inboxKey(id)), lastId: ZERO_ID, needsSeek: false };
  const channels = new Map<string, Channel>();
  const byTag = new Map<string, Channel>();
  const statusListeners = new Set<(up: boolean) => void>();

  let up = false;
  let closed = false;
  /** Bumped whenever the hub goes down: replies to commands of an older epoch are ignored. */
  let epoch = 0;
  let probing = false;
  let readerId: string | undefined;
  let reading = false;
  let readGeneration = 0;
  let wake: (() => void) | undefined;
  const assembler = new PartAssembler(o.maxMessageBytes);
  let messageNo = 0;

  const safely = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      o.onError(e);
    }
  };
  const unavailable = (why: string, cause?: unknown): SyncError =>
    new SyncError("HUB_UNAVAILABLE", `redis hub: ${why}`, cause === undefined ? undefined : { cause });

  function goDown(seen?: number): void {
    if (closed || (seen !== undefined && seen !== epoch)) return;
    // Also while already down: a connection lost during a recovery (Redis restarting again) must
    // abort it and make the next one seek every stream afresh, never resume from stale ids.
    epoch++;
    readerId = undefined;
    assembler.clear(); // messages half read are lost; the gaps on recovery repair them
    inbox.needsSeek = true;
    for (const c of channels.values()) c.needsSeek = true;
    if (!up) return;
    up = false;
    for (const l of statusListeners) safely(() => l(false));
  }

  /** Finds where to read each stream from: its last id, or the stream's end if that is earlier. */
  async function seek(streams: readonly Followed[]): Promise<void> {
    const replies = await Promise.all(
      streams.map((s) =>
        command.call("XINFO", "STREAM", s.key).then(
          (r) => lastGeneratedId(r) ?? ZERO_ID,
          (e: unknown) => {
            if (isReplyError(e) && /no such key/i.test(String((e as Error).message))) return ZERO_ID;
            throw e;
          },
        ),
      ),
    );
    streams.forEach((s, i) => {
      const end = replies[i] ?? ZERO_ID;
      if (s.lastId === undefined || compareStreamIds(end, s.lastId) < 0) s.lastId = end;
      s.needsSeek = false;
    });
  }

  /** Brings the hub up after a successful PING: seeks every stream, then reports up and gaps. */
  async function recover(): Promise<void> {
    const seen = epoch;
    for (;;) {
      const missing = [inbox, ...channels.values()].filter((s) => s.needsSeek);
      if (missing.length === 0) break;
      await seek(missing);
      if (closed || seen !== epoch) return;
    }
    await command.call("PEXPIRE", inbox.key, o.inboxTtlMs);
    if (closed || seen !== epoch || up) return;
    const inboxEnd = inbox.lastId ?? ZERO_ID; // earlier than before if Redis lost the inbox
    for (const c of channels.values())
      if (compareStreamIds(c.inboxFrom, inboxEnd) > 0) c.inboxFrom = inboxEnd;
    up = true;
    for (const l of statusListeners) safely(() => l(true));
    for (const c of [...channels.values()]) if (channels.get(c.document) === c) safely(c.handlers.onGap);
    wake?.();
  }

  async function probe(): Promise<void> {
    if (probing || closed) return;
    probing = true;
    const seen = epoch;
    try {
      if (up) {
        await command.call("PEXPIRE", inbox.key, o.inboxTtlMs); // heartbeat; keeps the inbox alive
      } else if (command.status === "ready" && reader.status === "ready") {
        await command.call("PING");
        await recover();
      }
    } catch {
      goDown(seen);
    } finally {
      probing = false;
    }
  }

  function deliver(batches: readonly StreamBatch[]): void {
    for (const batch of batches) {
      const isInbox = batch.key === inbox.tag;
      const stream: Followed | undefined = isInbox ? inbox : byTag.get(batch.key);
      if (stream === undefined || stream.lastId === undefined) continue;
      let gap = false;
      const lost = new Set<Channel>();
      const messages: { readonly to: Channel; readonly from: string; readonly bytes: Uint8Array }[] = [];
      for (const entry of batch.entries) {
        const last: StreamId = stream.lastId;
        if (compareStreamIds(entry.id, last) <= 0) continue; // read before a re-join or re-seek
        // Our entries are numbered 0-1, 0-2, …: a hole there is a loss. Once someone else's
        // time-based id took over the stream, holes mean nothing (the periodic digest repairs);
        // that switch itself is reported once.
        if (last.ms === 0n && !followsDirectly(last, entry.id)) gap = true;
        stream.lastId = entry.id;
        const from = entry.fields.get("f");
        const bytes = entry.fields.get("b");
        if (from === undefined || bytes === undefined) continue; // not one of ours: dropped
        const sender = latin1(from);
        if (sender === id) continue;
        const doc = isInbox ? entry.fields.get("d") : undefined;
        const to = isInbox ? (doc === undefined ? undefined : byTag.get(docTagPrefix + latin1(doc))) : stream;
        if (to === undefined || (isInbox && compareStreamIds(entry.id, (to as Channel).inboxFrom) <= 0))
          continue;
        const source = `${batch.key}\u0000${sender}\u0000${doc === undefined ? "" : latin1(doc)}`;
        const part = entry.fields.get("p");
        if (part === undefined) {
          if (assembler.single(source)) lost.add(to as Channel);
          messages.push({ to: to as Channel, from: sender, bytes: new Uint8Array(bytes) });
          continue;
        }
        const header = parsePart(part);
        if (header === undefined) continue; // not one of ours: dropped
        const outcome = assembler.add(source, header, bytes);
        if (outcome.kind === "whole")
          messages.push({ to: to as Channel, from: sender, bytes: outcome.bytes });
        else if (outcome.kind === "lost") lost.add(to as Channel);
      }
      if (gap) {
        const gapped = isInbox ? [...channels.values()] : [stream as Channel];
        for (const c of gapped) if (channels.get(c.document) === c) safely(c.handlers.onGap);
      }
      // A message that can no longer be whole is a loss on its channel, like a trimmed entry.
      if (!gap) for (const c of lost) if (channels.get(c.document) === c) safely(c.handlers.onGap);
      for (const m of messages) {
        if (channels.get(m.to.document) === m.to) safely(() => m.to.handlers.onMessage(m.from, m.bytes));
      }
    }
  }

  async function readLoop(): Promise<void> {
    while (!closed) {
      if (!up) {
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
        continue;
      }
      const seen = epoch;
      try {
        if (readerId === undefined) readerId = String(await reader.call("CLIENT", "ID"));
        const streams = [inbox, ...channels.values()].filter((s) => !s.needsSeek && s.lastId !== undefined);
        readGeneration++;
        reading = true;
        const reply = await reader.callBuffer(
          "XREAD",
          "COUNT",
          o.readCount,
          "BLOCK",
          o.blockMs,
          "STREAMS",
          ...streams.map((s) => s.key),
          ...streams.map((s) => (s.lastId as StreamId).text),
        );
        reading = false;
        if (closed || seen !== epoch) continue;
        deliver(parseXread(reply));
      } catch (e) {
        reading = false;
        if (closed) break;
        if (isReplyError(e)) {
          o.onError(e); // e.g. someone replaced a stream with another type: retry, do not spin
          await sleep(o.probeMs);
        } else {
          goDown(seen);
        }
      }
    }
  }

  /** Interrupts the reader's blocking XREAD so it picks up a newly joined stream at once. */
  async function interrupt(): Promise<void> {
    const generation = readGeneration;
    for (let i = 0; i < 5; i++) {
      if (!reading || readGeneration !== generation || readerId === undefined || closed || !up) return;
      try {
        if (Number(await command.call("CLIENT", "UNBLOCK", readerId)) === 1) return;
      } catch {
        return;
      }
      await sleep(2 * (i + 1)); // the XREAD may not have reached Redis yet
    }
  }

  async function add(key: Buffer, maxLen: number, fields: readonly (string | Buffer)[]): Promise<void> {
    if (closed) throw unavailable("closed");
    if (!up) throw unavailable("Redis is unreachable (circuit open)");
    const seen = epoch;
    try {
      await command.call("XADD", key, "MAXLEN", "~", maxLen, "0-*", ...fields);
    } catch (e) {
      if (isReplyError(e) && /equal or smaller/i.test(String((e as Error).message))) {
        // Someone added an entry with a time-based id: go on with time-based ids (readers see a gap).
        try {
          await command.call("XADD", key, "MAXLEN", "~", maxLen, "*", ...fields);
          return;
        } catch (again) {
          if (!isReplyError(again)) goDown(seen);
          throw unavailable("XADD failed", again);
        }
      }
      if (!isReplyError(e)) goDown(seen);
      throw unavailable(isReplyError(e) ? "XADD refused" : "Redis did not answer", e);
    }
  }

  /**
   * Adds one message: one entry when it fits `maxEntryBytes`, else consecutive part entries, all
   * sent before any reply is awaited so that no other entry of this member comes between them.
   */
  async function addMessage(
    key: Buffer,
    maxLen: number,
    head: readonly (string | Buffer)[],
    bytes: Buffer,
  ): Promise<void> {
    if (bytes.length > o.maxMessageBytes) {
      throw new InvalidValueError(
        `redis hub: a message of ${bytes.length} bytes passes maxMessageBytes (${o.maxMessageBytes})`,
      );
    }
    const pieces = splitBytes(bytes, o.maxEntryBytes);
    if (pieces.length === 1) return add(key, maxLen, [...head, "f", id, "b", bytes]);
    if (pieces.length > maxLen) {
      throw new InvalidValueError(
        `redis hub: a message of ${pieces.length} entries of ${o.maxEntryBytes} bytes cannot fit a stream trimmed to ${maxLen}`,
      );
    }
    if (closed) throw unavailable("closed");
    if (!up) throw unavailable("Redis is unreachable (circuit open)");
    const seen = epoch;
    const n = ++messageNo;
    const send = (entryId: string): Promise<PromiseSettledResult<unknown>[]> =>
      Promise.allSettled(
        pieces.map((piece, i) =>
          command.call(
            "XADD",
            key,
            "MAXLEN",
            "~",
            maxLen,
            entryId,
            ...head,
            "f",
            id,
            "p",
            partField(n, i, pieces.length),
            "b",
            piece,
          ),
        ),
      );
    const behindTimeIds = (r: PromiseSettledResult<unknown>): boolean =>
      r.status === "rejected" &&
      isReplyError(r.reason) &&
      /equal or smaller/i.test(String((r.reason as Error).message));
    let replies = await send("0-*");
    // Behind someone else's time-based id every `0-*` part is refused and none added: go on with "*".
    if (replies.every(behindTimeIds)) replies = await send("*");
    for (const r of replies) {
      if (r.status === "fulfilled") continue;
      // Readers drop the message as lost (a part is missing) and catch up from a peer.
      if (!isReplyError(r.reason)) goDown(seen);
      throw unavailable(isReplyError(r.reason) ? "XADD refused" : "Redis did not answer", r.reason);
    }
  }

  const asBuffer = (bytes: unknown, what: string): Buffer => {
    if (!(bytes instanceof Uint8Array)) throw new InvalidValueError(`redis hub: ${what} takes a Uint8Array`);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };

  function channelOf(channel: Channel): HubChannel {
    const docBytes = Buffer.from(channel.document, "utf8");
    const current = (): boolean => channels.get(channel.document) === channel;
    return Object.freeze({
      publish: async (bytes: Uint8Array): Promise<void> => {
        const b = asBuffer(bytes, "publish");
        if (!current()) throw unavailable(`left ${JSON.stringify(channel.document)}`);
        await addMessage(channel.key, o.maxLen, [], b);
      },
      sendTo: async (member: string, bytes: Uint8Array): Promise<void> => {
        if (typeof member !== "string" || member === "") {
          throw new InvalidValueError("redis hub: sendTo takes a member id");
        }
        const b = asBuffer(bytes, "sendTo");
        if (!current()) throw unavailable(`left ${JSON.stringify(channel.document)}`);
        if (member === id) return;
        const key = inboxKey(member);
        const added = addMessage(key, o.inboxMaxLen, ["d", docBytes], b);
        // An inbox nobody refreshes (its member is gone) expires; its owner refreshes it while alive.
        const expiry = added.then(() => command.call("PEXPIRE", key, o.inboxTtlMs, "NX")).catch(() => {});
        await added;
        await expiry;
      },
      leave: async (): Promise<void> => {
        if (!current()) return;
        channels.delete(channel.document);
        byTag.delete(channel.tag);
      },
    });
  }

  command.on("error", () => {}); // reported through the circuit, not as unhandled events
  reader.on("error", () => {});
  command.on("close", () => goDown());
  reader.on("close", () => goDown());
  command.on("ready", () => void probe());
  reader.on("ready", () => void probe());
  const timer = setInterval(() => void probe(), o.probeMs);
  timer.unref?.();
  const loop = readLoop();

  return Object.freeze({
    id,
    join: async (document: string, handlers: HubHandlers): Promise<HubChannel> => {
      if (typeof document !== "string") throw new InvalidValueError("redis hub: join takes a document name");
      if (
        typeof handlers !== "object" ||
        handlers === null ||
        typeof handlers.onMessage !== "function" ||
        typeof handlers.onGap !== "function"
      ) {
        throw new InvalidValueError("redis hub: join takes { onMessage, onGap } functions");
      }
      if (closed) throw unavailable("closed");
      if (channels.has(document)) {
        throw new ConfigError(`redis hub: ${JSON.stringify(document)} is already joined`);
      }
      const key = Buffer.from(docKeyPrefix + document, "utf8");
      const channel: Channel = { ...followed(key), document, handlers, inboxFrom: inbox.lastId ?? ZERO_ID };
      channels.set(document, channel);
      byTag.set(channel.tag, channel);
      if (up) {
        const seen = epoch;
        try {
          const probeInbox = followed(inbox.key);
          await seek([channel, probeInbox]);
          channel.inboxFrom = probeInbox.lastId ?? ZERO_ID;
          void interrupt();
        } catch {
          goDown(seen); // the channel is sought again when the hub comes back up
        }
      }
      return channelOf(channel);
    },
    isUp: () => up && !closed,
    onStatus: (listener: (up: boolean) => void) => {
      if (typeof listener !== "function") throw new InvalidValueError("redis hub: onStatus takes a function");
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },
    close: async (): Promise<void> => {
      if (closed) return;
      closed = true;
      up = false;
      clearInterval(timer);
      channels.clear();
      byTag.clear();
      wake?.();
      command.disconnect();
      reader.disconnect();
      await loop;
    },
  });
}
