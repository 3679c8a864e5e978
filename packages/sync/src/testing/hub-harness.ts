import type { Hub, HubHandlers } from "../hub.ts";

/** Members on one fresh hub, and the hooks that take that hub down and up again. */
export interface HubHarness {
  /** The members, as many as asked for, each with its own id, none joined to anything. */
  readonly members: readonly Hub[];
  /** Makes the hub unreachable for every member (stop or pause the server behind it). */
  readonly down?: () => void | Promise<void>;
  /** Makes it reachable again. */
  readonly up?: () => void | Promise<void>;
  /** Called after each test, passed or failed (after the kit closed every member). */
  readonly teardown?: () => void | Promise<void>;
}

/** Options of {@link runHubTests}. */
export interface HubTestOptions {
  /** How long one expected event may take, in ms (default 5000); also the bound on a rejection while down. */
  readonly timeoutMs?: number;
  /** How long the kit watches for a message that must not arrive, in ms (default 50). */
  readonly quietMs?: number;
  /** Size of the large message, in bytes (default 1 MiB). */
  readonly largeBytes?: number;
  /** How many messages each of two senders sends in the order test (default 300). */
  readonly manyMessages?: number;
  /** Whether to run the outage laws, which need the harness's `down` and `up` (default true). */
  readonly outages?: boolean;
}

export interface Heard {
  readonly from: string;
  readonly bytes: Uint8Array;
}

/** What one member heard on one document. */
export interface Ear {
  readonly heard: Heard[];
  gaps: number;
  readonly handlers: HubHandlers;
}

export function ear(): Ear {
  const e: Ear = {
    heard: [],
    gaps: 0,
    handlers: {
      onMessage: (from, bytes) => e.heard.push({ from, bytes }),
      onGap: () => {
        e.gaps++;
      },
    },
  };
  return e;
}

/** A message numbered `n` from sender `s`: 4 bytes of (s, n) then a pattern, checkable on arrival. */
export function numbered(s: number, n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, s);
  new DataView(out.buffer).setUint32(4, n);
  return out;
}
export const numberOf = (b: Uint8Array): number =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4);
