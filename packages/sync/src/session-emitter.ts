import type { SessionEvents, SessionStatus } from "./session-types.ts";

/** @internal A session's status, its event listeners and its `whenSynced` waiters. */
export interface SessionEmitter {
  readonly emit: <E extends keyof SessionEvents>(event: E, ...args: Parameters<SessionEvents[E]>) => void;
  readonly on: <E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]) => () => void;
  readonly status: () => SessionStatus;
  /** Moves to `next` (never out of `closed`); `synced` resolves the waiters. */
  readonly setStatus: (next: SessionStatus) => void;
  /** Resolves at the next `synced`; rejects with what {@link SessionEmitter.rejectAll} gets. */
  readonly waitSynced: () => Promise<void>;
  readonly rejectAll: (why: unknown) => void;
}

/** @internal Builds a {@link SessionEmitter}; a listener that throws never stops the session. */
export function sessionEmitter(): SessionEmitter {
  let status: SessionStatus = "connecting";
  const listeners: { [E in keyof SessionEvents]: Set<SessionEvents[E]> } = {
    status: new Set(),
    error: new Set(),
    ack: new Set(),
    presence: new Set(),
    reset: new Set(),
    corrupt: new Set(),
  };
  let waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const emit = <E extends keyof SessionEvents>(event: E, ...args: Parameters<SessionEvents[E]>): void => {
    for (const l of [...listeners[event]]) {
      try {
        (l as (...a: Parameters<SessionEvents[E]>) => void)(...args);
      } catch {
        // A listener's failure is its own; the session carries on.
      }
    }
  };
  return {
    emit,
    on: (event, listener) => {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    status: () => status,
    setStatus: (next) => {
      if (status === next || status === "closed") return;
      status = next;
      emit("status", next);
      if (next === "synced") {
        const w = waiters;
        waiters = [];
        for (const x of w) x.resolve();
      }
    },
    waitSynced: () => new Promise((resolve, reject) => waiters.push({ resolve, reject })),
    rejectAll: (why) => {
      const w = waiters;
      waiters = [];
      for (const x of w) x.reject(why);
    },
  };
}
