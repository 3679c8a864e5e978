import { createReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
import { connect, createSyncHost, memoryTransportPair } from "@converge/sync";
import { writeHeapSnapshot } from "node:v8";
const rules = { default: lww() };
const host = createSyncHost({ documents: () => ({ rules }) });
const n = Number(process.argv[2]);
const sessions: unknown[] = [];
(globalThis as any).keep = [host, sessions];
const settle = async () => { for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r)); };
for (let i = 0; i < n; i++) {
  const s = connect(createReplicatedMap({ resolvers: rules }), { document: `d${i}`, dial: async () => { const [c, srv] = memoryTransportPair(); host.accept(srv); return c; } });
  sessions.push(s);
  await s.whenSynced();
  s.map.set("k", i);
}
await settle();
await new Promise((r) => setTimeout(r, 50));
(globalThis as any).gc();
writeHeapSnapshot(`/tmp/f3/host-${n}.heapsnapshot`);
