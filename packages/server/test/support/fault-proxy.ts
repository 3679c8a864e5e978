import { connect, createServer, type Server, type Socket } from "node:net";
import { type Prng, prng } from "./prng.ts";

/**
 * What the proxy does to a new connection, drawn from the seeded PRNG:
 * - `pass`: forwards both ways, each chunk delayed (order kept) and maybe split in two;
 * - `reset`: forwards like `pass`, then resets both sides (RST) after a random time;
 * - `blackhole`: accepts the client, never reaches the server, reads and swallows everything;
 * - `halfOpen`: forwards like `pass`, then closes the server side only and swallows the client's
 *   data from then on: the client still thinks it is connected, the server saw it leave.
 * Every faulty connection is destroyed after `maxLifetimeMs` at the latest.
 */
export type Fate = "pass" | "reset" | "blackhole" | "halfOpen";

export interface Faults {
  /** Probability of each fault for a new connection; the rest pass. */
  readonly reset: number;
  readonly blackhole: number;
  readonly halfOpen: number;
  /** Extra latency per chunk, ms, drawn uniformly. */
  readonly latencyMs: readonly [number, number];
  /** Probability that a forwarded chunk is split in two writes (exercises framing). */
  readonly split: number;
  /** A reset or half-open happens within this many ms of the connection. */
  readonly faultWithinMs: number;
  /** No faulty connection lives longer than this (ms). */
  readonly maxLifetimeMs: number;
  /**
   * A passing connection is ended after a lifetime drawn from this range (ms; half the time by a
   * reset, half by a clean close), so that connections keep failing while the faults last.
   */
  readonly passLifetimeMs: readonly [number, number];
}

export const CALM: Faults = Object.freeze({
  reset: 0,
  blackhole: 0,
  halfOpen: 0,
  latencyMs: [0, 0] as const,
  split: 0,
  faultWithinMs: 0,
  maxLifetimeMs: Number.POSITIVE_INFINITY,
  passLifetimeMs: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY] as const,
});

export interface FaultProxyStats {
  readonly connections: number;
  readonly fates: Readonly<Record<Fate, number>>;
  readonly bytesForwarded: number;
  readonly bytesSwallowed: number;
}

export interface FaultProxy {
  readonly port: number;
  /** Faults for connections accepted from now on (and the latency of open ones). */
  readonly setFaults: (faults: Faults) => void;
  /**
   * Stops faulting: no new faults, no latency, passing connections live on, and every faulty or
   * black-holed connection is destroyed.
   */
  readonly calm: () => void;
  readonly stats: () => FaultProxyStats;
  /** Destroys every connection and stops listening. */
  readonly close: () => Promise<void>;
}

interface Link {
  readonly client: Socket;
  server: Socket | undefined;
  fate: Fate;
  readonly timers: Set<NodeJS.Timeout>;
  /** When a passing connection is due to end (cancelled by `calm`). */
  lifetime?: NodeJS.Timeout;
}

/** A TCP proxy on 127.0.0.1 in front of `target`, injecting faults drawn from `seed`. */
export async function createFaultProxy(options: {
  readonly target: { readonly host: string; readonly port: number };
  readonly seed: number;
  readonly faults?: Faults;
}): Promise<FaultProxy> {
  const random: Prng = prng(options.seed);
  let faults: Faults = options.faults ?? CALM;
  const links = new Set<Link>();
  const fates: Record<Fate, number> = { pass: 0, reset: 0, blackhole: 0, halfOpen: 0 };
  let connections = 0;
  let forwarded = 0;
  let swallowed = 0;

  const destroy = (link: Link, reset: boolean): void => {
    clearTimeout(link.lifetime);
    for (const t of link.timers) clearTimeout(t);
    link.timers.clear();
    links.delete(link);
    if (reset) {
      link.client.resetAndDestroy();
      link.server?.resetAndDestroy();
    } else {
      link.client.destroy();
      link.server?.destroy();
    }
  };
  const later = (link: Link, ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      link.timers.delete(t);
      fn();
    }, ms);
    link.timers.add(t);
  };

  /** Forwards `from` → `to` with latency (order kept) and splits; stops when `open()` turns false. */
  const pipe = (link: Link, from: Socket, to: Socket, rand: Prng, open: () => boolean): void => {
    const queue: { readonly due: number; readonly parts: readonly Buffer[]; readonly size: number }[] = [];
    let waiting = false;
    const drain = (): void => {
      waiting = false;
      const now = Date.now();
      while (queue.length > 0 && (queue[0]?.due ?? 0) <= now) {
        const head = queue.shift() as (typeof queue)[number];
        if (!open() || to.destroyed) {
          swallowed += head.size;
          continue;
        }
        for (const p of head.parts) to.write(p);
        forwarded += head.size;
      }
      const next = queue[0];
      if (next !== undefined) {
        waiting = true;
        later(link, Math.max(0, next.due - now), drain);
      }
    };
    let lastDue = 0;
    from.on("data", (chunk: Buffer) => {
      if (!open()) {
        swallowed += chunk.length;
        return;
      }
      const [lo, hi] = faults.latencyMs;
      const delay = hi > 0 ? rand.int(lo, hi) : 0;
      let parts: readonly Buffer[] = [chunk];
      if (chunk.length > 1 && rand.chance(faults.split)) {
        const at = rand.int(1, chunk.length - 1);
        parts = [chunk.subarray(0, at), chunk.subarray(at)];
      }
      lastDue = Math.max(lastDue, Date.now() + delay);
      queue.push({ due: lastDue, parts, size: chunk.length });
      if (!waiting) drain();
    });
  };

  const server: Server = createServer({ noDelay: true }, (client) => {
    connections++;
    const rand = random.fork();
    const roll = rand.next();
    const fate: Fate =
      roll < faults.reset
        ? "reset"
        : roll < faults.reset + faults.blackhole
          ? "blackhole"
          : roll < faults.reset + faults.blackhole + faults.halfOpen
            ? "halfOpen"
            : "pass";
    fates[fate]++;
    const link: Link = { client, server: undefined, fate, timers: new Set() };
    links.add(link);
    client.on("error", () => destroy(link, false));
    client.on("close", () => destroy(link, false));
    if (fate !== "pass" && Number.isFinite(faults.maxLifetimeMs))
      later(link, faults.maxLifetimeMs, () => destroy(link, false));
    if (fate === "blackhole") {
      client.on("data", (chunk: Buffer) => {
        swallowed += chunk.length;
      });
      return;
    }
    client.pause();
    const upstream = connect({ host: options.target.host, port: options.target.port, noDelay: true });
    link.server = upstream;
    let serverOpen = true;
    upstream.on("error", () => destroy(link, false));
    upstream.on("close", () => {
      if (link.fate === "halfOpen" && !serverOpen) return; // the client is meant to keep waiting
      destroy(link, false);
    });
    upstream.on("connect", () => {
      pipe(link, client, upstream, rand, () => serverOpen);
      pipe(link, upstream, client, rand, () => serverOpen);
      client.resume();
    });
    const [shortest, longest] = faults.passLifetimeMs;
    if (fate === "pass" && Number.isFinite(longest)) {
      const reset = rand.chance(0.5);
      link.lifetime = setTimeout(() => destroy(link, reset), rand.int(shortest, longest));
    }
    const at = rand.int(0, Math.max(0, faults.faultWithinMs));
    if (fate === "reset") later(link, at, () => destroy(link, true));
    if (fate === "halfOpen") {
      later(link, at, () => {
        serverOpen = false;
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");

  return {
    port: address.port,
    setFaults: (f) => {
      faults = f;
    },
    calm: () => {
      faults = CALM;
      for (const link of [...links]) {
        if (link.fate !== "pass") destroy(link, false);
        else clearTimeout(link.lifetime);
      }
    },
    stats: () => ({ connections, fates: { ...fates }, bytesForwarded: forwarded, bytesSwallowed: swallowed }),
    close: async () => {
      for (const link of [...links]) destroy(link, false);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
