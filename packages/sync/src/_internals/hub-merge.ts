import { isConvergeError } from "@converge/hlc";
import type { HostDocument } from "./host-document.ts";
import { type Conn, type MergeContext, stream } from "./host-merge.ts";

const PAYLOAD_KIND_DELTA = 2;
/** Payloads larger than this merge with `applyAsync`, yielding to the event loop. */
const ASYNC_APPLY_BYTES = 64 * 1024;

/**
 * What became of a payload from a hub peer: merged (new to this host), a duplicate, refused
 * because it is a delta whose base this host lacks, or refused by core for any other reason
 * (nothing of it was merged).
 */
export type HubMergeOutcome = "merged" | "duplicate" | "unknown-base" | "refused";

/**
 * Merges a payload a hub peer sent (a client payload it published, or a catch-up delta) in the
 * document's apply order, like a client's: committed to this host's store and relayed to its own
 * connections (ops and states as they are, a delta as a fresh delta from each connection's known
 * vector). Never published again and never acknowledged (no client waits for it). Core decodes
 * and checks a payload whole before merging any of it, so a refused one changes nothing.
 */
export async function mergeFromHub(
  ctx: MergeContext,
  doc: HostDocument<Conn>,
  bytes: Uint8Array,
): Promise<HubMergeOutcome> {
  const { metrics, sendPayload, timers } = ctx;
  const attrs = { document: doc.name };
  const run = doc.chain.then(async () => {
    const started = timers.now();
    let result: { readonly changed: number; readonly duplicate: boolean };
    // Marks the apply as running, as a client's does: a fold never compacts under an applyAsync.
    doc.changed = new Set();
    try {
      result = bytes.length > ASYNC_APPLY_BYTES ? await doc.map.applyAsync(bytes) : doc.map.apply(bytes);
    } finally {
      doc.changed = undefined;
      metrics?.observe("apply_ms", timers.now() - started, attrs);
    }
    if (result.duplicate) return undefined;
    metrics?.count("payloads_merged", 1, attrs);
    metrics?.count("keys_merged", result.changed, attrs);
    const committed = doc.keeper.append(bytes);
    const delta = bytes[3] === PAYLOAD_KIND_DELTA;
    // Only a relayed delta needs the vector (an O(replicas) copy): ops and states go as they are.
    const vector = delta ? doc.map.versionVector() : undefined;
    for (const c of doc.connections) {
      stream(ctx, c, doc, (o) => {
        if (!delta) sendPayload(o, bytes);
        else {
          const v = vector ?? doc.map.versionVector();
          sendPayload(o, doc.map.encodeDelta(o.known ?? v));
          o.known = v;
        }
      });
    }
    // Wrapped, so awaiting the merge does not also await the commit.
    return { committed };
  });
  doc.chain = run.then(
    () => {},
    () => {},
  );
  let committed: Promise<void> | undefined;
  try {
    committed = (await run)?.committed;
  } catch (e) {
    if (isConvergeError(e) && e.code === "DELTA_UNKNOWN_BASE") return "unknown-base";
    ctx.report(e, doc.name);
    return "refused";
  }
  if (committed === undefined) return "duplicate";
  try {
    await committed;
  } catch (e) {
    ctx.report(e, doc.name);
  }
  return "merged";
}
