/** The servers the storage bench compares, each in a child process of its own. */
export const STORAGE_SYSTEMS = [
  "converge-sqlite-full",
  "converge-sqlite-main",
  "converge-sqlite-normal",
  "converge-memory",
  "hocuspocus-sqlite",
  "hocuspocus-memory",
] as const;

export type StorageSystem = (typeof STORAGE_SYSTEMS)[number];

export function isStorageSystem(s: string): s is StorageSystem {
  return (STORAGE_SYSTEMS as readonly string[]).includes(s);
}

/** What each system's acknowledgement means: the honest column of the table. */
export const ACK_MEANS: Readonly<Record<StorageSystem, string>> = {
  "converge-sqlite-full": "fsynced (WAL, synchronous=FULL, group commit on a worker thread)",
  "converge-sqlite-main": "fsynced (same, the connection on the event loop: thread main)",
  "converge-sqlite-normal": "in the WAL (survives kill -9, not power loss)",
  "converge-memory": "merged in memory (nothing stored)",
  "hocuspocus-sqlite": "merged in memory; stored 2–10 s later (debounce)",
  "hocuspocus-memory": "merged in memory (nothing stored)",
};

/** Parent → child and child → parent messages of the storage bench's server child. */
export type StorageToChild = { readonly type: "cpu" } | { readonly type: "stop" };
export type StorageFromChild =
  | { readonly type: "ready"; readonly port: number }
  | { readonly type: "cpu"; readonly us: number }
  | { readonly type: "error"; readonly message: string };
