import { type OpRelay, stream } from "./host-merge.ts";
import { sharedPacking } from "./shared-packing.ts";

/**
 * A turn that merged at most this many op payloads, of at most {@link RELAY_OP_BYTES} in all, is
 * relayed as those ops rather than as one delta: applying a small op costs a client a few
 * microseconds, a delta about ten times that (it carries the document's whole vector, twice),
 * and the ops are smaller on the wire than a delta of a document with more than a few writers.
 */
export const RELAY_OPS = 8;
/** See {@link RELAY_OPS}. */
export const RELAY_OP_BYTES = 4096;

/** The {@link OpRelay} of `createSyncHost`. */
export const opRelay: OpRelay = {
  note: (relay, bytes) => {
    if (relay.ops === null) return;
    const ops = relay.ops ?? [];
    let total = bytes.length;
    for (const o of ops) total += o.length;
    // An op's kind byte (FORMAT.md, offset 3) is 3, or 4 in the single-write layout.
    const kind = bytes[3];
    if (ops.length < RELAY_OPS && total <= RELAY_OP_BYTES && (kind === 3 || kind === 4)) {
      ops.push(bytes);
      relay.ops = ops;
    } else relay.ops = null;
  },
  send: (ctx, doc, relay, vector) => {
    const ops = relay.ops;
    if (ops === null || ops === undefined) return false;
    // Op by op across the connections, so each op's frame is encoded once for all; a connection
    // paused part-way keeps its old `known` (it gets a delta from there when it drains).
    const last = ops.length - 1;
    for (let i = 0; i <= last; i++) {
      const op = ops[i] as Uint8Array;
      for (const o of doc.connections)
        stream(ctx, o, doc, (c) => {
          ctx.sendPayload(c, op);
          if (i === last) c.known = vector;
        });
    }
    return true;
  },
  share: sharedPacking,
};
