// readOrUndefined: what a state reads as in a change event (a throwing read reports undefined).
import type { AnyResolver } from "../key-rules.ts";

/** What `state` reads as for a change event; `undefined` when absent or when the resolver's read throws. */
export function readOrUndefined(resolver: AnyResolver, state: unknown): unknown {
  if (state === undefined) return undefined;
  try {
    return resolver.read(state);
  } catch {
    return undefined;
  }
}
