/** Merges full states in `worker_threads` (Node only), for the network simulator. */
export interface WorkerMerger {
  /** Merges `payloads` (full states) in a worker into one full state. */
  readonly merge: (payloads: readonly Uint8Array[]) => Promise<Uint8Array>;
  readonly close: () => Promise<void>;
}

interface Reply {
  readonly id: number;
  readonly bytes?: Uint8Array;
  readonly error?: string;
}

/**
 * Starts two workers that load `module`'s export `exportName` (the same key rules as the
 * simulated replicas) and merge the states they are sent; merges alternate between them.
 */
export async function workerMerger(spec: {
  readonly module: string | URL;
  readonly exportName: string;
}): Promise<WorkerMerger> {
  const { Worker } = await import("node:worker_threads");
  const self = import.meta.url;
  const script = new URL(self.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js", self);
  const execArgv = self.endsWith(".ts") ? ["--conditions=@converge/source"] : [];
  const workers = [0, 1].map(
    () =>
      new Worker(script, {
        workerData: { module: String(spec.module), exportName: spec.exportName },
        execArgv,
      }),
  );
  const waiting = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  for (const w of workers) {
    w.on("message", (reply: Reply) => {
      const p = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.bytes !== undefined) p?.resolve(reply.bytes);
      else p?.reject(new Error(`worker merge failed: ${reply.error ?? "unknown"}`));
    });
    w.on("error", (e) => {
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
  }
  let next = 0;
  return {
    merge: (payloads) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        workers[id % workers.length]?.postMessage({ id, payloads: [...payloads] });
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
