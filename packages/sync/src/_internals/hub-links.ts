import { ResolverMismatchError } from "@converge/core";
import { ConfigError, isConvergeError } from "@converge/hlc";
import { SyncError } from "../errors.ts";
import type { Hub, HubChannel } from "../hub.ts";
import type { MetricsSink } from "../metrics.ts";
import type { Timers } from "../session-types.ts";
import type { HostDocument } from "./host-document.ts";
import type { Conn, MergeContext } from "./host-merge.ts";
import { decodeHubMessage, encodeHubMessage, type HubMessage } from "./hub-codec.ts";
import { mergeFromHub } from "./hub-merge.ts";

/** The default anti-entropy interval: every loaded document publishes a digest this often. */
export const DEFAULT_HUB_DIGEST_MS = 10_000;

/**
 * After a client payload's publish failed while the hub was up (Redis refused it, say), the
 * document digests again after this many ms, doubling up to the digest interval while digests
 * fail too: peers learn of the lost payload without waiting for the periodic digest. (While the
 * hub is down, the digest it sends when it comes back does the same.)
 */
export const HUB_REPAIR_MS = 100;

/** What the hub links need from their host. */
export interface HubLinksOptions {
  readonly hub: Hub;
  /** Anti-entropy interval in ms; 0 turns the periodic digest off. */
  readonly digestMs: number | undefined;
  readonly timers: Timers;
  readonly metrics: MetricsSink | undefined;
  readonly merge: MergeContext;
  readonly report: (error: unknown, document: string | undefined) => void;
}

/** A host's links to its hub: one channel per loaded document, the digests and the status. */
export interface HubLinks {
  /** A document loaded: join its channel and publish a digest. */
  readonly attach: (doc: HostDocument<Conn>) => void;
  /** A client payload merged, committed and acknowledged: publish it (fire and forget). */
  readonly published: (doc: HostDocument<Conn>, bytes: Uint8Array) => void;
  /** Hub status changes, as the host's `onHubStatus` reports them. */
  readonly onStatus: (listener: (up: boolean) => void) => () => void;
  /** Stops the timer, leaves every channel; the hub itself stays open (its owner closes it). */
  readonly close: () => Promise<void>;
}

interface Link {
  readonly doc: HostDocument<Conn>;
  channel: HubChannel | undefined;
  joining: boolean;
  /** Payloads published this turn, not yet handed to the hub. */
  publishing: Uint8Array[] | undefined;
  /** A publish failed while the hub was up: the next repair digest's delay (0: none due). */
  repairMs: number;
  /** The repair digest's timer, while one is armed. */
  repairTimer: unknown;
}

/**
 * Builds a host's {@link HubLinks}. Incoming messages, per document: `payload` is merged,
 * committed and relayed (a delta whose base is missing is answered with `request(my vector)` to
 * its sender); `digest(v)` records v as the sender's lease (`LeaseTable.heard`), answers `delta(since v)` when this
 * host has what v lacks and `request(my vector)` when v has what this host lacks; `request(v)`
 * records v and answers `delta(since v)`; `delta` is merged, committed and relayed, never
 * answered — so no exchange loops. A message that does not decode, carries other rules, or that
 * core refuses is reported, counted and dropped; nothing of it is merged. Every hub failure is
 * counted and absorbed: clients' writes and acks never wait for the hub.
 *
 * @throws ConfigError (`INVALID_CONFIG`) when `digestMs` is not a non-negative integer.
 */
export function hubLinks(options: HubLinksOptions): HubLinks {
  const { hub, timers, metrics, merge, report } = options;
  const digestMs = options.digestMs ?? DEFAULT_HUB_DIGEST_MS;
  if (!Number.isSafeInteger(digestMs) || digestMs < 0)
    throw new ConfigError(`hubDigestMs is a non-negative integer of ms, got ${String(options.digestMs)}`);
  const links = new Map<HostDocument<Conn>, Link>();
  const listeners = new Set<(up: boolean) => void>();
  let closed = false;
  let timer: unknown;

  const repairCap = digestMs > 0 ? digestMs : DEFAULT_HUB_DIGEST_MS;
  // Arms the repair digest of a link whose publish failed while the hub was up.
  const repair = (link: Link): void => {
    if (closed || link.repairTimer !== undefined || !hub.isUp()) return;
    link.repairMs = link.repairMs === 0 ? HUB_REPAIR_MS : Math.min(repairCap, link.repairMs * 2);
    metrics?.count("hub_repairs", 1, { document: link.doc.name });
    link.repairTimer = timers.setTimeout(() => {
      link.repairTimer = undefined;
      if (!closed && links.get(link.doc) === link) digest(link);
    }, link.repairMs);
  };

  const out = (link: Link, to: string | undefined, m: HubMessage): void => {
    const channel = link.channel;
    if (closed || channel === undefined) return;
    const attrs = { document: link.doc.name, type: m.type };
    let sent: Promise<void>;
    try {
      const bytes = encodeHubMessage(m);
      sent = to === undefined ? channel.publish(bytes) : channel.sendTo(to, bytes);
    } catch (e) {
      sent = Promise.reject(e);
    }
    sent.then(
      () => {
        metrics?.count("hub_messages_out", 1, attrs);
        // A digest that got through repairs every payload publish that failed before it.
        if (m.type === "digest") link.repairMs = 0;
      },
      (e: unknown) => {
        metrics?.count("hub_publish_failures", 1, attrs);
        if (m.type === "payload" || m.type === "payloads" || (m.type === "digest" && link.repairMs > 0))
          repair(link);
        // Down is expected (the status event says so); anything else is worth a report.
        if (!(isConvergeError(e) && e.code === "HUB_UNAVAILABLE")) report(e, link.doc.name);
      },
    );
  };

  const publishNow = (link: Link): void => {
    const list = link.publishing ?? [];
    link.publishing = undefined;
    const fingerprint = link.doc.map.fingerprint;
    if (list.length === 1)
      out(link, undefined, { type: "payload", fingerprint, payload: list[0] as Uint8Array });
    else if (list.length > 1) out(link, undefined, { type: "payloads", fingerprint, payloads: list });
  };

  const digest = (link: Link): void => {
    if (link.channel === undefined) {
      join(link);
      return;
    }
    claim(link, undefined, "digest");
  };

  // A peer may compact on what a digest or request claims: the vector is taken now and sent once
  // everything merged so far is committed, so it never claims what a crash could take back.
  const claim = (link: Link, to: string | undefined, type: "digest" | "request"): void => {
    const vector = link.doc.map.versionVector();
    link.doc.keeper.flush().then(
      () => out(link, to, { type, fingerprint: link.doc.map.fingerprint, vector }),
      (e: unknown) => report(e, link.doc.name),
    );
  };

  const heard = (link: Link, from: string, m: HubMessage): void => {
    const { doc } = link;
    if (m.type === "digest" || m.type === "request") doc.leases.heard(from, m.vector);
    const fingerprint = doc.map.fingerprint;
    switch (m.type) {
      case "payloads":
        for (const payload of m.payloads) heard(link, from, { type: "payload", fingerprint, payload });
        return;
      case "payload":
      case "delta":
        void mergeFromHub(merge, doc, m.payload).then((outcome) => {
          if (outcome === "refused") metrics?.count("hub_malformed", 1, { document: doc.name });
          if (outcome === "merged" && m.type === "delta")
            metrics?.count("hub_catchups", 1, { document: doc.name });
          // A published delta whose base is missing here: ask its sender for what this host lacks.
          if (outcome === "unknown-base" && m.type === "payload") claim(link, from, "request");
          // A catch-up delta is computed from this host's own vector, so its base is here; one
          // that is not is dropped (asking again could loop).
          if (outcome === "unknown-base" && m.type === "delta") {
            metrics?.count("hub_malformed", 1, { document: doc.name });
            report(
              new SyncError("PAYLOAD_REFUSED", `a catch-up delta from ${from} lacks its base here`),
              doc.name,
            );
          }
        });
        return;
      case "digest": {
        const order = doc.map.versionVector().compare(m.vector);
        if (order === "after" || order === "concurrent")
          out(link, from, { type: "delta", fingerprint, payload: doc.map.encodeDelta(m.vector) });
        if (order === "before" || order === "concurrent") claim(link, from, "request");
        return;
      }
      case "request": {
        const order = doc.map.versionVector().compare(m.vector);
        if (order === "after" || order === "concurrent")
          out(link, from, { type: "delta", fingerprint, payload: doc.map.encodeDelta(m.vector) });
        return;
      }
    }
  };

  const onMessage = (link: Link, from: string, bytes: Uint8Array): void => {
    if (closed) return;
    const name = link.doc.name;
    metrics?.count("hub_messages_in", 1, { document: name });
    let m: HubMessage;
    try {
      m = decodeHubMessage(bytes);
    } catch (e) {
      metrics?.count("hub_malformed", 1, { document: name });
      report(e, name);
      return;
    }
    const expected = link.doc.map.fingerprint;
    if (m.fingerprint !== expected) {
      metrics?.count("refusals", 1, { code: "CONFIG_MISMATCH" });
      const detail = { expected, received: m.fingerprint };
      report(
        new ResolverMismatchError("CONFIG_MISMATCH", `hub peer ${from} serves ${name} with other rules`, {
          ...detail,
          differences: [{ kind: "fingerprint", ...detail }],
        }),
        name,
      );
      return;
    }
    heard(link, from, m);
  };

  const join = (link: Link): void => {
    if (closed || link.joining || link.channel !== undefined) return;
    link.joining = true;
    hub
      .join(link.doc.name, {
        onMessage: (from, bytes) => onMessage(link, from, bytes),
        onGap: () => digest(link),
      })
      .then(
        (channel) => {
          link.joining = false;
          if (closed) {
            void channel.leave().catch(() => {});
            return;
          }
          link.channel = channel;
          digest(link);
        },
        (e: unknown) => {
          // Retried at the next digest tick or when the hub comes up.
          link.joining = false;
          metrics?.count("hub_publish_failures", 1, { document: link.doc.name, type: "join" });
          if (!(isConvergeError(e) && e.code === "HUB_UNAVAILABLE")) report(e, link.doc.name);
        },
      );
  };

  const tick = (): void => {
    timer = undefined;
    if (closed) return;
    for (const link of links.values()) digest(link);
    arm();
  };
  const arm = (): void => {
    if (digestMs > 0 && timer === undefined && !closed) timer = timers.setTimeout(tick, digestMs);
  };

  metrics?.gauge("hub_up", hub.isUp() ? 1 : 0);
  const unsubscribe = hub.onStatus((up) => {
    if (closed) return;
    metrics?.gauge("hub_up", up ? 1 : 0);
    for (const l of [...listeners]) {
      try {
        l(up);
      } catch {
        // A listener's failure is its own.
      }
    }
    if (up) for (const link of links.values()) digest(link);
  });

  return {
    attach: (doc) => {
      if (closed || links.has(doc)) return;
      const link: Link = {
        doc,
        channel: undefined,
        joining: false,
        publishing: undefined,
        repairMs: 0,
        repairTimer: undefined,
      };
      links.set(doc, link);
      join(link);
      arm();
    },
    // The payloads a turn publishes for a document go out as one hub message, in merge order.
    published: (doc, bytes) => {
      const link = links.get(doc);
      if (link === undefined) return;
      if (link.publishing === undefined) {
        link.publishing = [];
        queueMicrotask(() => publishNow(link));
      }
      link.publishing.push(bytes);
    },
    onStatus: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      listeners.clear();
      if (timer !== undefined) timers.clearTimeout(timer);
      for (const link of links.values())
        if (link.repairTimer !== undefined) timers.clearTimeout(link.repairTimer);
      for (const link of links.values())
        await link.channel?.leave().catch((e: unknown) => report(e, link.doc.name));
      links.clear();
    },
  };
}
