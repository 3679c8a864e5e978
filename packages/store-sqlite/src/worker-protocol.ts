import type { StoreBatch, StoredDocument } from "@converge/sync";
import type { WireError } from "./store-fault.ts";

/** One batch of a group commit, for the document with row id `doc`. */
export interface CommitItem {
  readonly doc: number;
  readonly batch: StoreBatch;
}

/** What the worker thread is started with (`workerData`): the store's options as plain data. */
export interface WorkerInit {
  readonly path: string;
  readonly synchronous: "full" | "normal";
  readonly maxBytes: number | undefined;
  /** `"report"`: damaged records are kept aside and reported with the reply (the caller's `onCorrupt`). */
  readonly onCorrupt: "refuse" | "report";
}

/** Main thread → worker. Requests are answered in the order they were sent. */
export type WorkerRequest =
  | { readonly id: number; readonly op: "docId"; readonly name: string }
  | { readonly id: number; readonly op: "load"; readonly name: string; readonly doc: number }
  | { readonly id: number; readonly op: "names" }
  /** `count` batches packed into `buffer` by `batchPacker`, committed as one transaction. */
  | { readonly id: number; readonly op: "commit"; readonly buffer: ArrayBuffer; readonly count: number }
  /** A whole file the calling thread kept aside before the worker started (see `SqliteEngine.damage`). */
  | { readonly id: number; readonly op: "inherit"; readonly damage: FileDamage }
  | { readonly id: number; readonly op: "close" };

/** A file kept aside whole, and the documents whose first load already reported it. */
export interface FileDamage {
  readonly error: WireError;
  readonly told: readonly string[];
}

/** A file or rows the worker kept aside while answering (told to `onCorrupt` before the reply settles). */
export interface KeptAside {
  readonly error: WireError;
  readonly keptAt: string;
}

/** Loaded records as they cross: `damaged` as a {@link WireError}. */
export type WireDocument = Omit<StoredDocument, "damaged"> & { readonly damaged?: WireError };

/** Worker → main thread: one reply per request, by id. */
export type WorkerReply =
  | {
      readonly id: number;
      readonly ok: true;
      /** docId: the id; load: the records; names: the names; commit: each batch's error or null. */
      readonly value: number | WireDocument | readonly string[] | readonly (WireError | null)[] | null;
      readonly kept: readonly KeptAside[];
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: WireError;
      readonly kept: readonly KeptAside[];
    };

/** The distinct ArrayBuffers under loaded records, to transfer them back rather than copy. */
export function documentBuffers(doc: WireDocument): ArrayBuffer[] {
  const into = new Set<ArrayBuffer>();
  const add = (b: Uint8Array): void => {
    if (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength)
      into.add(b.buffer);
  };
  if (doc.snapshot !== undefined) add(doc.snapshot);
  for (const b of doc.log) add(b);
  for (const e of doc.outbox) add(e.op);
  for (const p of doc.peers) add(p.vector);
  return [...into];
}
