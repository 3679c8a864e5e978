// Listeners: change and op subscribers, the events they get, and the errors they throw.
import type { Change, ChangeEvent } from "../replicated-map-types.ts";
import { checkListener } from "../validate-options.ts";

/**
 * The replica's subscribers. Errors thrown by listeners are collected so that an operation always
 * completes (state, clock, context, op broadcast, other listeners), then rethrown by
 * {@link Listeners.flush} at the end of it.
 */
export class Listeners {
  // Both made on the first listener: most replicas on a server have none of one kind or the other.
  #changes: Set<(event: ChangeEvent) => void> | undefined;
  #ops: Set<(op: Uint8Array) => void> | undefined;
  /** The op listeners as they were at the last change of the set: each send walks this copy. */
  #opList: readonly ((op: Uint8Array) => void)[] = [];
  readonly #errors: unknown[] = [];

  /** Whether anyone listens to changes: only then do operations and applies build change lists. */
  get tracking(): boolean {
    return this.#changes !== undefined && this.#changes.size > 0;
  }

  /** Whether anyone listens to op payloads: only then are local operations encoded. */
  get wantsOps(): boolean {
    return this.#opList.length > 0;
  }

  /** Adds a change listener; returns the function that removes it. */
  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.#changes ??= new Set();
    this.#changes.add(checkListener(listener, "subscribe"));
    return () => {
      this.#changes?.delete(listener);
    };
  }

  /** Adds an op listener; returns the function that removes it. */
  onOp(listener: (op: Uint8Array) => void): () => void {
    this.#ops ??= new Set();
    const ops = this.#ops;
    ops.add(checkListener(listener, "onOp"));
    this.#opList = [...ops];
    return () => {
      ops.delete(listener);
      this.#opList = [...ops];
    };
  }

  /** Sends one event with `changes` (none when empty) to every change listener. */
  emit(origin: "local" | "remote", changes: Change[]): void {
    this.emitLazy(
      origin,
      changes.length,
      () => changes,
      () => changes.map((c) => c.key),
    );
  }

  /**
   * Sends one event of `count` changes (none when 0) to every change listener; its `changes` are
   * built by `build` and its `keys` by `buildKeys`, each on its first access, once, and shared by
   * every listener.
   */
  emitLazy(
    origin: "local" | "remote",
    count: number,
    build: () => Change[],
    buildKeys: () => string[],
  ): void {
    if (count === 0) return;
    let changes: readonly Change[] | undefined;
    let keys: readonly string[] | undefined;
    this.#send(
      Object.freeze({
        origin,
        get changes(): readonly Change[] {
          changes ??= Object.freeze(build());
          return changes;
        },
        get keys(): readonly string[] {
          keys ??= Object.freeze(buildKeys());
          return keys;
        },
      }),
    );
  }

  /** Sends `event` to every change listener (those subscribed when it is sent). */
  #send(event: ChangeEvent): void {
    for (const l of [...(this.#changes ?? [])]) this.#call(l, event);
  }

  /** Sends an encoded op payload to every op listener. */
  sendOp(op: Uint8Array): void {
    // The copy taken when the set last changed: a listener added or removed by a listener takes
    // effect from the next op, as with a copy taken here.
    const list = this.#opList;
    for (let i = 0; i < list.length; i++) this.#call(list[i] as (op: Uint8Array) => void, op);
  }

  /** Rethrows what listeners threw since the last flush: the error, or an AggregateError of them. */
  flush(): void {
    if (this.#errors.length === 0) return;
    const errors = this.#errors.splice(0);
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, "listeners threw");
  }

  #call<T>(listener: (value: T) => void, value: T): void {
    try {
      listener(value);
    } catch (e) {
      this.#errors.push(e);
    }
  }
}
