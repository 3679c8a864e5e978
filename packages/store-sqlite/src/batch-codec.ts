import type { OutboxEntry, PeerRecord, StoreBatch } from "@converge/sync";
import type { CommitItem } from "./worker-protocol.ts";

/**
 * Commits cross to the worker thread packed into one ArrayBuffer per transaction, transferred:
 * one transfer and no structured clone of nested objects, where a batch of many small byte
 * arrays would otherwise cost a transfer (or a clone) per array. Each batch is copied into the
 * buffer when `commit` is called, which is also the copy the `Store` law asks for (the caller may
 * reuse its arrays at once). Layout per batch, little-endian:
 *
 *   u32 doc · u8 flags (1: snapshot, 2: outboxAckedUpTo) · [u32 n · n bytes] snapshot ·
 *   [f64] ackedUpTo · u32 count · (u32 n · n bytes)* append ·
 *   u32 count · (f64 seq · u32 n · n bytes)* outboxAdd ·
 *   u32 count · (u32 n · n utf-8 · f64 seenAt · u32 m · m bytes)* peers ·
 *   u32 count · (u32 n · n utf-8)* removePeers
 */
export interface BatchPacker {
  /** Copies one batch in. */
  readonly add: (doc: number, batch: StoreBatch) => void;
  /** How many batches were added since the last `take`. */
  readonly count: () => number;
  /** The packed batches (the packer's own buffer, to transfer: only the start is used); the packer starts empty again. */
  readonly take: () => ArrayBuffer;
}

const text = new TextEncoder();

/** A packer whose buffer grows as needed (doubling) and starts at `initial` bytes after a take. */
export function batchPacker(initial: number = 64 * 1024): BatchPacker {
  let buf = new Uint8Array(initial);
  let view = new DataView(buf.buffer);
  let at = 0;
  let n = 0;

  const room = (bytes: number): void => {
    if (at + bytes <= buf.length) return;
    let size = buf.length * 2;
    while (size < at + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(buf.subarray(0, at));
    buf = next;
    view = new DataView(buf.buffer);
  };
  const u32 = (v: number): void => {
    room(4);
    view.setUint32(at, v, true);
    at += 4;
  };
  const f64 = (v: number): void => {
    room(8);
    view.setFloat64(at, v, true);
    at += 8;
  };
  const bytes = (b: Uint8Array): void => {
    room(4 + b.length);
    view.setUint32(at, b.length, true);
    buf.set(b, at + 4);
    at += 4 + b.length;
  };
  const str = (s: string): void => {
    room(4 + 3 * s.length);
    const { written } = text.encodeInto(s, buf.subarray(at + 4));
    view.setUint32(at, written, true);
    at += 4 + written;
  };

  return {
    add: (doc, batch) => {
      u32(doc);
      room(1);
      buf[at++] = (batch.snapshot !== undefined ? 1 : 0) | (batch.outboxAckedUpTo !== undefined ? 2 : 0);
      if (batch.snapshot !== undefined) bytes(batch.snapshot);
      if (batch.outboxAckedUpTo !== undefined) f64(batch.outboxAckedUpTo);
      const append = batch.append ?? [];
      u32(append.length);
      for (const b of append) bytes(b);
      const outbox = batch.outboxAdd ?? [];
      u32(outbox.length);
      for (const e of outbox) {
        f64(e.seq);
        bytes(e.op);
      }
      const peers = batch.peers ?? [];
      u32(peers.length);
      for (const p of peers) {
        str(p.peer);
        f64(p.seenAt);
        bytes(p.vector);
      }
      const removed = batch.removePeers ?? [];
      u32(removed.length);
      for (const id of removed) str(id);
      n++;
    },
    count: () => n,
    take: () => {
      const out = buf.buffer;
      buf = new Uint8Array(initial);
      view = new DataView(buf.buffer);
      at = 0;
      n = 0;
      return out;
    },
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** The `count` batches of a packed buffer, their byte arrays views into it (no copies). */
export function unpackBatches(buffer: ArrayBuffer, count: number): CommitItem[] {
  const buf = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let at = 0;
  const u32 = (): number => {
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const f64 = (): number => {
    const v = view.getFloat64(at, true);
    at += 8;
    return v;
  };
  const bytes = (): Uint8Array => {
    const len = u32();
    const b = buf.subarray(at, at + len);
    at += len;
    return b;
  };
  const str = (): string => utf8.decode(bytes());
  const items: CommitItem[] = [];
  for (let i = 0; i < count; i++) {
    const doc = u32();
    const flags = buf[at++] as number;
    const batch: { -readonly [K in keyof StoreBatch]: StoreBatch[K] } = {};
    if (flags & 1) batch.snapshot = bytes();
    if (flags & 2) batch.outboxAckedUpTo = f64();
    const append: Uint8Array[] = [];
    for (let k = u32(); k > 0; k--) append.push(bytes());
    if (append.length > 0) batch.append = append;
    const outbox: OutboxEntry[] = [];
    for (let k = u32(); k > 0; k--) {
      const seq = f64();
      outbox.push({ seq, op: bytes() });
    }
    if (outbox.length > 0) batch.outboxAdd = outbox;
    const peers: PeerRecord[] = [];
    for (let k = u32(); k > 0; k--) {
      const peer = str();
      const seenAt = f64();
      peers.push({ peer, seenAt, vector: bytes() });
    }
    if (peers.length > 0) batch.peers = peers;
    const removed: string[] = [];
    for (let k = u32(); k > 0; k--) removed.push(str());
    if (removed.length > 0) batch.removePeers = removed;
    items.push({ doc, batch });
  }
  return items;
}
