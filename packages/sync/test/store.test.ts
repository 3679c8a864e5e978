import { createReplicatedMap, isConvergeError } from "@converge/core";
import { createClock } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import {
  connect,
  createSyncHost,
  documentKeeper,
  loadReplica,
  memoryStore,
  type Store,
  type StoreBatch,
} from "../src/index.ts";
import { dialTo, hex, newMap, rules, settle } from "./fixtures.ts";

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "none";
  } catch (e) {
    return isConvergeError(e) ? e.code : "foreign";
  }
};

describe("memoryStore", () => {
  it("commits batches whole, copies bytes in and out, and keeps records across reopenings", async () => {
    const store = memoryStore();
    const doc = await store.open("d");
    const bytes = new Uint8Array([1, 2, 3]);
    await doc.commit({
      append: [bytes],
      outboxAdd: [
        { seq: 1, op: new Uint8Array([9]) },
        { seq: 2, op: new Uint8Array([8]) },
      ],
      peers: [{ peer: "p", vector: new Uint8Array([0]), seenAt: 5 }],
    });
    bytes[0] = 7;
    const loaded = await doc.load();
    expect(loaded.log.map((b) => [...b])).toEqual([[1, 2, 3]]);
    (loaded.log[0] as Uint8Array)[1] = 0;
    await doc.commit({ outboxAckedUpTo: 1, snapshot: new Uint8Array([4]), append: [new Uint8Array([5])] });
    const again = await (await store.open("d")).load();
    expect([...(again.snapshot ?? [])]).toEqual([4]);
    expect(again.log.map((b) => [...b])).toEqual([[5]]);
    expect(again.outbox.map((e) => e.seq)).toEqual([2]);
    expect(again.peers).toEqual([{ peer: "p", vector: new Uint8Array([0]), seenAt: 5 }]);
    expect(await store.documents()).toEqual(["d"]);
    await doc.commit({ removePeers: ["p"] });
    expect((await doc.load()).peers).toEqual([]);
    await store.close();
    expect(await codeOf(doc.load())).toBe("STORE_CLOSED");
    expect(await codeOf(store.open("e"))).toBe("STORE_CLOSED");
  });
});

describe("store policy", () => {
  it("appends merged payloads and local ops, folds the log into a snapshot past compactBytes, and reloads the same state", async () => {
    const store = memoryStore();
    const records = await store.open("d");
    const commits: StoreBatch[] = [];
    const spy = {
      ...records,
      commit: (b: StoreBatch) => {
        commits.push(b);
        return records.commit(b);
      },
    };
    const map = newMap();
    const keeper = documentKeeper(spy, () => map, { compactBytes: 2000 });
    map.onOp((op) => void keeper.addLocal({ seq: map.versionVector().get(map.id), op }));
    for (let i = 0; i < 5; i++) map.set(`k${i}`, i);
    await keeper.flush();
    expect(commits).toHaveLength(1); // one turn, one group commit
    expect(commits[0]?.append).toHaveLength(5);
    expect(commits[0]?.outboxAdd?.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    await keeper.ackUpTo(3);
    for (let i = 0; i < 200; i++) {
      map.set(`big${i}`, "x".repeat(20));
      await keeper.flush();
    }
    expect(commits.some((b) => b.snapshot !== undefined)).toBe(true);
    const stored = await records.load();
    expect(stored.log.reduce((n, b) => n + b.length, 0)).toBeLessThan(2000);
    const loaded = loadReplica(stored, { resolvers: rules });
    expect(hex(loaded.map.encodeState())).toBe(hex(map.encodeState()));
    expect(loaded.outbox[0]?.seq).toBe(4);
  });

  it("after a failed commit, flush resolves only once a whole snapshot holding it committed", async () => {
    const store = memoryStore();
    const records = await store.open("d");
    let failing = true;
    const commits: StoreBatch[] = [];
    const flaky = {
      ...records,
      commit: async (b: StoreBatch) => {
        commits.push(b);
        if (failing) throw new Error("disk full");
        return records.commit(b);
      },
    };
    const map = newMap();
    const keeper = documentKeeper(flaky, () => map);
    const other = newMap();
    other.set("k", 1);
    const payload = other.encodeState();
    map.applyState(payload);
    await expect(keeper.append(payload)).rejects.toThrow("disk full");
    // Merged, in memory only: nothing may count as committed while the store still fails.
    await expect(keeper.flush()).rejects.toThrow("disk full");
    failing = false;
    await keeper.flush();
    expect(commits.at(-1)?.snapshot).toBeDefined();
    expect(loadReplica(await records.load(), { resolvers: rules }).map.get("k")).toBe(1);
    // Healthy again: a flush with nothing queued commits nothing more.
    const n = commits.length;
    await keeper.flush();
    expect(commits).toHaveLength(n);
  });

  it("a flush while a healthy commit is in flight waits for it and writes no snapshot", async () => {
    const store = memoryStore();
    const records = await store.open("d");
    const commits: StoreBatch[] = [];
    let release: () => void = () => {};
    const slow = {
      ...records,
      commit: async (b: StoreBatch) => {
        commits.push(b);
        await new Promise<void>((r) => {
          release = r;
        });
        return records.commit(b);
      },
    };
    const map = newMap();
    const keeper = documentKeeper(slow, () => map);
    const appended = keeper.append(new Uint8Array([1]));
    await settle();
    expect(commits).toHaveLength(1); // in flight
    const flushed = keeper.flush();
    release();
    await appended;
    await flushed;
    await settle();
    expect(commits).toHaveLength(1);
    expect(commits[0]?.snapshot).toBeUndefined();
  });

  it("a replica reloaded with its own id continues after its highest stored seq", async () => {
    const store = memoryStore();
    const records = await store.open("d");
    const nodeId = "00000000000000c7";
    const map = createReplicatedMap({ resolvers: rules, clock: createClock({ node: nodeId }) });
    const keeper = documentKeeper(records, () => map);
    map.onOp((op) => void keeper.addLocal({ seq: map.versionVector().get(map.id), op }));
    map.set("a", 1);
    map.set("b", 2);
    await keeper.flush();
    const { map: back } = loadReplica(await records.load(), {
      resolvers: rules,
      clock: createClock({ node: nodeId }),
    });
    back.set("c", 3);
    expect(back.versionVector().get(nodeId)).toBe(3);
  });
});

describe("restarts from stores", () => {
  it("a client restarted from its store resends what was never acknowledged", async () => {
    const clientStore = memoryStore();
    const nodeId = "00000000000000d1";
    const first = createReplicatedMap({ resolvers: rules, clock: createClock({ node: nodeId }) });
    const offline = connect(first, {
      document: "shop",
      dial: async () => Promise.reject(new Error("no network")),
      store: await clientStore.open("shop"),
    });
    first.increment("stock:fig", 4);
    first.set("title", "offline edit");
    await offline.whenCommitted();
    await offline.close();
    // The process dies; a new one loads the replica and its outbox from the store.
    const records = await clientStore.open("shop");
    const { map, outbox } = loadReplica(await records.load(), {
      resolvers: rules,
      clock: createClock({ node: nodeId }),
    });
    expect(outbox).toHaveLength(2);
    const host = createSyncHost({ documents: () => ({ rules }) });
    const s = connect(map, { document: "shop", dial: dialTo(host), store: records });
    await s.whenSynced();
    await settle();
    expect(s.outboxSize()).toBe(0);
    const doc = await host.document("shop");
    expect(doc.get("stock:fig")).toBe(4);
    expect(doc.get("title")).toBe("offline edit");
    await s.whenCommitted();
    expect((await records.load()).outbox).toEqual([]);
    await s.close();
  });

  it("a write whose commit failed is acknowledged only once the host's store holds it", async () => {
    const durable = memoryStore();
    let failing = false;
    const flaky: Store = {
      ...durable,
      open: async (name) => {
        const d = await durable.open(name);
        return {
          ...d,
          commit: async (b) => {
            if (failing) throw new Error("disk full");
            return d.commit(b);
          },
        };
      },
    };
    const host = createSyncHost({ documents: () => ({ rules }), store: flaky });
    const map = newMap();
    const s1 = connect(map, { document: "shop", dial: dialTo(host) });
    let acked = 0;
    s1.on("ack", (v) => {
      acked = Math.max(acked, v.get(map.id));
    });
    await s1.whenSynced();
    failing = true;
    map.set("title", "lost?");
    await settle();
    expect(acked).toBe(0); // its commit failed: no ack
    await s1.close();
    failing = false;
    // The same replica reconnects: its catch-up delta brings nothing the host lacks in memory,
    // and the host acknowledges it only after committing what the failed batch held.
    const s2 = connect(map, { document: "shop", dial: dialTo(host) });
    s2.on("ack", (v) => {
      acked = Math.max(acked, v.get(map.id));
    });
    await s2.whenSynced();
    await settle();
    expect(acked).toBe(1);
    const stored = loadReplica(await (await durable.open("shop")).load(), { resolvers: rules });
    expect(stored.map.get("title")).toBe("lost?");
    await s2.close();
    await host.close();
  });

  it("a host restarted from its store keeps every acknowledged write", async () => {
    const durable = memoryStore();
    const keepOpen: Store = { ...durable, close: async () => {} };
    const host1 = createSyncHost({ documents: () => ({ rules }), store: keepOpen });
    const map = newMap();
    const s1 = connect(map, { document: "shop", dial: dialTo(host1) });
    let acked = 0;
    s1.on("ack", (v) => {
      acked = v.get(map.id);
    });
    await s1.whenSynced();
    for (let i = 0; i < 10; i++) map.increment("stock:kiwi", 1);
    await settle();
    expect(acked).toBe(10);
    await s1.close();
    await host1.close();
    const host2 = createSyncHost({ documents: () => ({ rules }), store: keepOpen });
    const doc = await host2.document("shop");
    expect(doc.get("stock:kiwi")).toBe(10);
    expect(hex(doc.encodeState())).toBe(hex(map.encodeState()));
  });
});
