// Child process of the kill -9 test: commits numbered payloads as fast as it can (several
// in flight at once, so group commit is exercised) and prints each number once its commit
// resolved — the parent treats a printed number as acknowledged.
import { sqliteStore } from "../src/index.ts";

const [path, mode, thread] = process.argv.slice(2) as [string, "full" | "normal", "worker" | "main"];
const store = sqliteStore({ path, synchronous: mode, thread });
const doc = await store.open("doc");
const start = Number(process.env["START"] ?? "0");
let next = start;
const inflight = new Set<Promise<void>>();
for (;;) {
  while (inflight.size < 16) {
    const n = next++;
    const bytes = new Uint8Array(64).fill(n & 0xff);
    new DataView(bytes.buffer).setUint32(0, n);
    const p: Promise<void> = doc
      .commit({ append: [bytes], outboxAdd: [{ seq: n + 1, op: bytes }] })
      .then(() => {
        process.stdout.write(`${n}\n`);
        inflight.delete(p);
      });
    inflight.add(p);
  }
  await Promise.race(inflight);
}
