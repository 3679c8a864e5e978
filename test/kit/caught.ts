// caught: the error a call throws, for tests that inspect it (its code, its message).

/** Runs `f` and returns what it threw; throws when `f` returns normally. */
export function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
