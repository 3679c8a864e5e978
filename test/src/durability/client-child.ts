// A client process for the kill -9 tests: a replica kept in SQLite at argv[2] (its replica id in
// argv[2] + ".id", reused across restarts: safe, since the session sends an op only once it is
// committed), synced with the server at argv[3]. Writes keys w:<n> from argv[4] on and prints n
// once the write is committed locally; the parent treats a printed n as committed.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomNodeId } from "@converge/hlc";
import { lww } from "@converge/resolvers";
import { sqliteStore } from "@converge/store-sqlite";
import { connect, loadReplica } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";

const [path, url, from] = process.argv.slice(2) as [string, string, string];
const idFile = `${path}.id`;
const node = existsSync(idFile) ? readFileSync(idFile, "utf8") : randomNodeId();
writeFileSync(idFile, node);
const store = sqliteStore({ path });
const doc = await store.open("doc");
const { map } = loadReplica(await doc.load(), { resolvers: { default: lww() }, clockOptions: { node } });
const session = connect(map, {
  document: "doc",
  dial: webSocketDialer(url, { connectTimeoutMs: 2000 }),
  store: doc,
  backoff: { initialMs: 20, maxMs: 200 },
});
for (let n = Number(from); ; n++) {
  map.set(`w:${n}`, n);
  await session.whenCommitted();
  process.stdout.write(`${n}\n`);
  if (n % 10 === 0) await new Promise((r) => setTimeout(r, 1));
}
