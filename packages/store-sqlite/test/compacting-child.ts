// Child process of the kill-during-compaction test: commits numbered entries, and every 25th
// commit is a compaction — a snapshot listing every number committed so far, replacing the log.
// Prints each number once its commit resolved (acknowledged for the parent).
import { sqliteStore } from "../src/index.ts";

const [path] = process.argv.slice(2) as [string];
const store = sqliteStore({ path });
const doc = await store.open("doc");
const start = Number(process.env["START"] ?? "0");
const issued: number[] = [];
const entry = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const inflight = new Set<Promise<void>>();
for (let n = start; ; n++) {
  issued.push(n);
  let batch: Parameters<typeof doc.commit>[0];
  if (n % 25 === 24) {
    // Large enough that writing it takes a while: the kill often lands inside it.
    const snap = new Uint8Array(4 * issued.length + 200_000);
    const view = new DataView(snap.buffer);
    for (let i = 0; i < issued.length; i++) view.setUint32(4 * i, issued[i] as number);
    view.setUint32(snap.length - 4, issued.length);
    batch = { snapshot: snap };
  } else batch = { append: [entry(n)] };
  const p: Promise<void> = doc.commit(batch).then(() => {
    process.stdout.write(`${n}\n`);
    inflight.delete(p);
  });
  inflight.add(p);
  if (inflight.size >= 8) await Promise.race(inflight);
}
