import { CloseCode, type CloseInfo, type Dialer, type Transport } from "../transport.ts";
import { type Prng, prng } from "./prng.ts";

/** Fault rates of a {@link faultyNetwork}; each is a probability per event. */
export interface Faults {
  /** That a frame is held back for `maxDelay` more steps (later frames of its link wait too). */
  readonly delay?: number;
  /** That a link is killed (LINK_LOST) when a step delivers on it: frames in flight are lost. */
  readonly disconnect?: number;
  /** That a dial fails. */
  readonly dialFailure?: number;
}

/** Options of {@link faultyNetwork}. */
export interface FaultyNetworkOptions {
  readonly seed: number;
  readonly faults?: Faults;
  /** Where a dialled server end goes (e.g. `host.accept`); replaceable for host restarts. */
  readonly accept: (server: Transport) => void;
}

/**
 * A network of in-memory links whose faults come from a seeded PRNG, for protocol tests. A
 * transport may not lose, duplicate or reorder frames while it is open, so the faults a real
 * network causes appear here as what they do to a transport:
 * - loss: a link is killed (`CloseCode.LINK_LOST`) and whatever it still held is gone;
 * - duplication: the session resends after reconnecting, so the same operations arrive again
 *   on the next link;
 * - reordering: frames of different links (clients) interleave in any order;
 * - delay: a link's frames wait a random number of steps;
 * - splitting: large payloads travel as several chunk frames (a transport carries whole frames);
 * - partition: `setOnline(id, false)` kills a client's links and fails its dials until healed.
 *
 * `pendingBytes()` of an end is what it sent that the other end has not received yet, so a
 * client the test does not step is a slow consumer. Nothing moves until `step()` (one frame, on a random link) or `drain()`; `kill()` kills every
 * link, as a host crash does.
 */
export interface FaultyNetwork {
  /** A dialer for client `id`; each call opens a new link. */
  readonly dialer: (id: string) => Dialer;
  /** Delivers one frame on a random link (maybe a fault instead). False when nothing was pending. */
  readonly step: () => boolean;
  /** Steps until nothing is pending (at most `maxSteps`, default 1e6); faults off unless `faults` is true. */
  readonly drain: (options?: { readonly maxSteps?: number; readonly faults?: boolean }) => number;
  /** Kills every open link (LINK_LOST). */
  readonly kill: () => void;
  /** Takes client `id` offline (its links killed, its dials fail) or back online. */
  readonly setOnline: (id: string, online: boolean) => void;
  /** Replaces where new server ends go (a restarted host). */
  readonly setAccept: (accept: (server: Transport) => void) => void;
  /** Frames pending in all links. */
  readonly pending: () => number;
  readonly random: Prng;
}

interface Side {
  readonly frames: Set<(f: Uint8Array) => void>;
  readonly closes: Set<(i: CloseInfo) => void>;
  readonly inbox: { frame: Uint8Array; wait: number }[];
}

interface Link {
  readonly client: string;
  readonly sides: readonly [Side, Side];
  open: boolean;
  /** The close waiting for the frames sent before it (an orderly close). */
  closing: { code: number; reason: string; from: 0 | 1 } | undefined;
}

/** Builds a {@link FaultyNetwork}. */
export function faultyNetwork(options: FaultyNetworkOptions): FaultyNetwork {
  const random = prng(options.seed);
  const faults = options.faults ?? {};
  let accept = options.accept;
  const links = new Set<Link>();
  const offline = new Set<string>();

  const finish = (link: Link, code: number, reason: string, from: 0 | 1 | -1): void => {
    if (!links.has(link)) return;
    links.delete(link);
    link.open = false;
    for (const side of [0, 1] as const) {
      const s = link.sides[side];
      s.inbox.length = 0;
      const ls = [...s.closes];
      s.frames.clear();
      s.closes.clear();
      for (const l of ls) l({ code, reason, local: side === from });
    }
  };

  const end = (link: Link, side: 0 | 1): Transport => {
    const me = link.sides[side];
    const peer = link.sides[side === 0 ? 1 : 0];
    return {
      send: (frame) => {
        if (!link.open) return;
        const wait = faults.delay !== undefined && random.chance(faults.delay) ? 1 + random.int(5) : 0;
        peer.inbox.push({ frame: frame.slice(), wait });
      },
      onFrame: (l) => {
        if (!links.has(link)) return () => {};
        me.frames.add(l);
        return () => me.frames.delete(l);
      },
      onClose: (l) => {
        if (!links.has(link)) return () => {};
        me.closes.add(l);
        return () => me.closes.delete(l);
      },
      close: (code = CloseCode.NORMAL, reason = "") => {
        if (!link.open) return;
        link.open = false;
        link.closing = { code, reason, from: side };
        if (link.sides[0].inbox.length === 0 && link.sides[1].inbox.length === 0)
          finish(link, code, reason, side);
      },
      isOpen: () => link.open,
      pendingBytes: () => {
        let n = 0;
        for (const f of peer.inbox) n += f.frame.length;
        return n;
      },
    };
  };

  const deliverOne = (link: Link, withFaults: boolean): void => {
    if (
      withFaults &&
      link.closing === undefined &&
      faults.disconnect !== undefined &&
      random.chance(faults.disconnect)
    ) {
      finish(link, CloseCode.LINK_LOST, "link lost", -1);
      return;
    }
    const sides = [0, 1].filter((i) => link.sides[i as 0 | 1].inbox.length > 0) as (0 | 1)[];
    const side = sides[random.int(sides.length)] as 0 | 1;
    const s = link.sides[side];
    const head = s.inbox[0] as { frame: Uint8Array; wait: number };
    if (withFaults && head.wait > 0) {
      head.wait--;
      return;
    }
    s.inbox.shift();
    for (const l of [...s.frames]) l(head.frame);
    const c = link.closing;
    if (c !== undefined && link.sides[0].inbox.length === 0 && link.sides[1].inbox.length === 0)
      finish(link, c.code, c.reason, c.from);
  };

  const step = (withFaults: boolean): boolean => {
    const busy = [...links].filter((l) => l.sides[0].inbox.length > 0 || l.sides[1].inbox.length > 0);
    if (busy.length === 0) return false;
    deliverOne(busy[random.int(busy.length)] as Link, withFaults);
    return true;
  };

  const kill = (filter: (l: Link) => boolean): void => {
    for (const l of [...links]) if (filter(l)) finish(l, CloseCode.LINK_LOST, "link lost", -1);
  };

  return {
    dialer: (id) => async () => {
      if (offline.has(id) || (faults.dialFailure !== undefined && random.chance(faults.dialFailure)))
        throw new Error(`${id} cannot reach the server`);
      const side = (): Side => ({ frames: new Set(), closes: new Set(), inbox: [] });
      const link: Link = { client: id, sides: [side(), side()], open: true, closing: undefined };
      links.add(link);
      accept(end(link, 1));
      return end(link, 0);
    },
    step: () => step(true),
    drain: (o = {}) => {
      const max = o.maxSteps ?? 1_000_000;
      let n = 0;
      while (n < max && step(o.faults === true)) n++;
      return n;
    },
    kill: () => kill(() => true),
    setOnline: (id, online) => {
      if (online) offline.delete(id);
      else {
        offline.add(id);
        kill((l) => l.client === id);
      }
    },
    setAccept: (a) => {
      accept = a;
    },
    pending: () => {
      let n = 0;
      for (const l of links) n += l.sides[0].inbox.length + l.sides[1].inbox.length;
      return n;
    },
    random,
  };
}
