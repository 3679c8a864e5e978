import { createReplicatedMap, type KeyRulesConfig, type ReplicatedMap } from "@converge/core";
import type { ClockState } from "@converge/hlc";
import type { Timers } from "../session-types.ts";

/**
 * A sleep tick of a host's replica, in ms: a document unused for one tick (plus one tick per
 * {@link KEYS_PER_TICK} keys it holds) is put to sleep — kept as its encoded state — and woken
 * on its next use.
 */
export const DEFAULT_SLEEP_TICK_MS = 250;

/**
 * Keys per extra tick of idleness before a replica sleeps: waking decodes the whole state, so a
 * large document must have been idle longer for the memory it frees to be worth the wake.
 */
const KEYS_PER_TICK = 64;

/**
 * What a {@link SleepingReplica} needs from its document (a host's document implements it, so a
 * sleeper holds no closure of its own but its timer's).
 */
export interface SleepOptions {
  /** The document's rules, to rebuild the replica with. */
  readonly rules: KeyRulesConfig;
  readonly timers: Pick<Timers, "setTimeout">;
  /** Length of a tick in ms ({@link DEFAULT_SLEEP_TICK_MS}); 0 never sleeps. */
  readonly tickMs: number;
  /** Whether the replica is in use without being asked for (an apply that yields is running). */
  busy(): boolean;
  /** Called with the first replica and with every rebuilt one (subscribe its listeners there). */
  attach(map: ReplicatedMap): void;
  /**
   * How a sleeping map is held (default a `WeakRef`); tests pass one that has always lost it,
   * as if it had been collected.
   */
  readonly weak?: (map: ReplicatedMap) => { readonly deref: () => ReplicatedMap | undefined };
}

/** Lets a Node timer not keep the process alive (other platforms have no such handle). */
function unref(handle: unknown): void {
  if (
    typeof handle === "object" &&
    handle !== null &&
    "unref" in handle &&
    typeof handle.unref === "function"
  )
    handle.unref();
}

/**
 * Holds a host's replica of a document and puts it to sleep once nobody asked for it for a
 * while: its state is encoded, the map is dropped (a `WeakRef` keeps it reachable for as long as
 * anything else still holds it) and the next {@link SleepingReplica.map} wakes it.
 *
 * Laws: a woken replica reads, encodes and merges exactly like the one that slept — it is the
 * same object when anything still held that one (a caller of `SyncHost.document`, a merge
 * awaiting), else one rebuilt from its encoded state with a clock of the same node restored from
 * the old clock's state (`Clock.state`), so its id carries on and its HLC never goes back. A
 * host's replicas use the default time source, which the rebuilt clock uses too.
 * A change reaching a sleeping map that is still alive (a write through a held reference) wakes
 * it at once, so no change is lost to a stale encoding. A replica never sleeps while `busy()`,
 * nor before it has gone unused for 1 + ⌊size / 64⌋ whole ticks.
 */
export class SleepingReplica {
  readonly #options: SleepOptions;
  #live: ReplicatedMap | undefined;
  /** The sleeping replica's clock: `Clock.state` and its drift bound. */
  #clock: ClockState | undefined;
  #maxDrift = 0;
  #state: Uint8Array | undefined;
  #ref: { readonly deref: () => ReplicatedMap | undefined } | undefined;
  #used = false;
  #idleTicks = 0;
  #armed = false;

  constructor(first: ReplicatedMap, options: SleepOptions) {
    this.#options = options;
    this.#live = first;
    this.#watch(first);
    this.#arm();
  }

  /** The replica: the one in memory, or, while asleep, the same one if still alive, else rebuilt. */
  map(): ReplicatedMap {
    this.#used = true;
    return this.#live ?? this.#wake();
  }

  /** Whether the replica is asleep (its state encoded, the map free to be collected). */
  asleep(): boolean {
    return this.#live === undefined;
  }

  #onTick(): void {
    this.#armed = false;
    const m = this.#live;
    if (m === undefined) return;
    if (this.#used || this.#options.busy()) {
      this.#used = false;
      this.#idleTicks = 0;
      this.#arm();
      return;
    }
    if (++this.#idleTicks < 1 + Math.floor(m.size / KEYS_PER_TICK)) {
      this.#arm();
      return;
    }
    this.#state = m.encodeState();
    this.#clock = m.clock.state();
    this.#maxDrift = m.clock.maxDrift;
    this.#ref = this.#options.weak?.(m) ?? new WeakRef(m);
    this.#live = undefined;
    this.#idleTicks = 0;
  }

  #arm(): void {
    if (this.#armed || this.#options.tickMs === 0) return;
    this.#armed = true;
    // A closure per arm rather than one kept: a sleeping replica holds none.
    unref(this.#options.timers.setTimeout(() => this.#onTick(), this.#options.tickMs));
  }

  #watch(m: ReplicatedMap): void {
    m.subscribe(() => {
      // A change reaching a sleeping map through a reference held elsewhere: it is live again.
      if (this.#live === undefined && this.#ref?.deref() === m) this.#awake(m);
      this.#used = true;
    });
    this.#options.attach(m);
  }

  #wake(): ReplicatedMap {
    let m = this.#ref?.deref();
    if (m === undefined) {
      const clock = this.#clock as ClockState;
      m = createReplicatedMap({
        resolvers: this.#options.rules,
        clockOptions: { node: clock.node, restore: clock, maxDrift: this.#maxDrift },
        state: this.#state as Uint8Array,
      });
      this.#watch(m);
    }
    this.#awake(m);
    return m;
  }

  #awake(m: ReplicatedMap): void {
    this.#live = m;
    this.#state = undefined;
    this.#clock = undefined;
    this.#ref = undefined;
    this.#arm();
  }
}
