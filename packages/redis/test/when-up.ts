import type { Hub } from "@converge/sync";

/** Resolves once every hub is up; rejects after `timeoutMs` (default 5 s) naming how many are not. */
export async function whenUp(hubs: readonly Hub[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!hubs.every((h) => h.isUp())) {
    if (Date.now() > deadline) {
      throw new Error(
        `${hubs.filter((h) => !h.isUp()).length} of ${hubs.length} hubs not up after ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
