// LoneChange: a change event entry from the apply's lone lane, read lazily from immutable values.
import type { AnyResolver } from "../key-rules.ts";
import type { Sibling } from "../register/sibling.ts";
import type { Change } from "../replicated-map-types.ts";
import { readOrUndefined } from "./read-state.ts";

const UNREAD: unique symbol = Symbol("unread");

/**
 * A change made by the apply fast lane, where no state objects exist: it keeps the immutable
 * values the merge met (the key's lone value before, the incoming lone value) and reads `value`
 * and `previous` from them on first access, so a subscriber costs one small object per changed
 * key instead of two resolver reads. Reads are deterministic functions of immutable inputs, so a
 * late read returns what an eager one would have; `toJSON` gives the plain `{ key, value,
 * previous }`.
 */
export class LoneChange implements Change {
  readonly key: string;
  readonly #resolver: AnyResolver;
  readonly #old: Sibling | undefined;
  readonly #incoming: Sibling;
  readonly #concurrent: boolean;
  #value: unknown = UNREAD;
  #previous: unknown = UNREAD;

  /** `concurrent`: the incoming value joins `old` (another replica's) instead of replacing it. */
  constructor(
    key: string,
    resolver: AnyResolver,
    old: Sibling | undefined,
    incoming: Sibling,
    concurrent: boolean,
  ) {
    this.key = key;
    this.#resolver = resolver;
    this.#old = old;
    this.#incoming = incoming;
    this.#concurrent = concurrent;
  }

  get value(): unknown {
    if (this.#value === UNREAD) {
      const merged =
        this.#concurrent && this.#old !== undefined
          ? this.#resolver.merge(this.#old, this.#incoming)
          : this.#incoming;
      this.#value = readOrUndefined(this.#resolver, merged);
    }
    return this.#value;
  }

  get previous(): unknown {
    if (this.#previous === UNREAD) this.#previous = readOrUndefined(this.#resolver, this.#old);
    return this.#previous;
  }

  toJSON(): Change {
    return { key: this.key, value: this.value, previous: this.previous };
  }
}
