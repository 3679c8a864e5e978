import * as Automerge from "@automerge/automerge";
import * as Y from "yjs";
import { createReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
const N = Number(process.argv[2] ?? 100000);
const t = (label: string, f: () => unknown) => { const s = performance.now(); const r = f(); console.log(label, (performance.now() - s).toFixed(0), "ms"); return r; };
const which = process.argv[3] ?? "all";
if (which === "all" || which === "conv") {
const a = createReplicatedMap({ resolvers: { default: lww() }, clockOptions: { node: "000000000000000a" } });
const b = createReplicatedMap({ resolvers: { default: lww() }, clockOptions: { node: "000000000000000b" } });
t("conv build a", () => { for (let i = 0; i < N; i++) a.set("key:" + i, i & 1023); });
t("conv build b", () => { for (let i = 0; i < N; i++) b.set("key:" + i, (i * 7) & 1023); });
const ab = t("conv encode a", () => a.encodeState()) as Uint8Array;
const bb = t("conv encode b", () => b.encodeState()) as Uint8Array;
console.log("sizes", ab.length, bb.length);
for (let r = 0; r < 3; r++) {
const fresh = t("conv fresh", () => createReplicatedMap({ resolvers: { default: lww() }, clockOptions: { node: "000000000000000a" }, state: ab })) as ReturnType<typeof createReplicatedMap>;
t("conv merge", () => fresh.applyState(bb));
}
}
if (which === "all" || which === "y") {
const da = new Y.Doc(); da.clientID = 1; const db = new Y.Doc(); db.clientID = 2;
t("y build a", () => da.transact(() => { const m = da.getMap("m"); for (let i = 0; i < N; i++) m.set("key:" + i, i & 1023); }));
t("y build b", () => db.transact(() => { const m = db.getMap("m"); for (let i = 0; i < N; i++) m.set("key:" + i, (i * 7) & 1023); }));
const ua = t("y enc a", () => Y.encodeStateAsUpdate(da)) as Uint8Array;
const ub = Y.encodeStateAsUpdate(db);
for (let r = 0; r < 3; r++) {
const f = new Y.Doc(); f.clientID = 1;
t("y fresh", () => Y.applyUpdate(f, ua));
t("y merge", () => Y.applyUpdate(f, ub));
}
}
if (which === "all" || which === "am") {
let a = Automerge.init<Record<string, number>>({ actor: "0a".repeat(16) });
let b = Automerge.init<Record<string, number>>({ actor: "0b".repeat(16) });
a = t("am build a", () => Automerge.change(a, (d) => { for (let i = 0; i < N; i++) d["key:" + i] = i & 1023; })) as typeof a;
b = t("am build b", () => Automerge.change(b, (d) => { for (let i = 0; i < N; i++) d["key:" + i] = (i * 7) & 1023; })) as typeof b;
const sa = t("am save a", () => Automerge.save(a)) as Uint8Array;
const sb = Automerge.save(b);
console.log("am sizes", sa.length, sb.length);
for (let r = 0; r < 3; r++) {
const f = t("am load", () => Automerge.load<Record<string, number>>(sa)) as typeof a;
const m = t("am loadIncremental", () => Automerge.loadIncremental(f, sb)) as typeof a;
console.log(Object.keys(m).length);
}
}
