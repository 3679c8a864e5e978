/** The round's replicas that ship bytes: converge, Yjs, Loro and Automerge. */
import * as Automerge from "@automerge/automerge";
import { LoroDoc } from "loro-crdt";
import * as Y from "yjs";
import { lwwReplica, NODE_A, NODE_B } from "../replicas.ts";
import { type RoundImpl, readConverge, sourceValue, targetValue, timeRound } from "./round-timing.ts";

/** converge: full state out of the source, `applyState` into the target, `get` for every key. */
export const converge: RoundImpl = {
  impl: "converge",
  round: (keys, expected) => {
    let target = lwwReplica(NODE_A);
    let source = lwwReplica(NODE_B);
    let redecoded = lwwReplica(NODE_A);
    let own: Uint8Array = new Uint8Array(0);
    return timeRound<Uint8Array>("converge", expected, {
      build: () => {
        for (let i = 0; i < keys.length; i++) target.set(keys[i] as string, targetValue(i));
        // The target's state before the merge, for the re-decoded variant (encoded before the
        // source writes, so the source's later times still win every key there too).
        own = target.encodeState();
        for (let i = 0; i < keys.length; i++) source.set(keys[i] as string, sourceValue(i));
      },
      encode: () => source.encodeState(),
      bytes: (p) => p.length,
      apply: (p) => {
        target.applyState(p);
      },
      read: () => readConverge(target, keys),
      redecode: () => {
        target = lwwReplica(NODE_A);
        source = lwwReplica(NODE_B);
        redecoded.applyState(own);
      },
      applyRedecoded: (p) => redecoded.applyState(p).changed,
      checkRedecoded: (changed) => {
        if (changed !== keys.length) throw new Error(`converge: re-decoded merge changed ${changed} keys`);
      },
      free: () => {
        target = lwwReplica(NODE_A);
        source = lwwReplica(NODE_B);
        redecoded = lwwReplica(NODE_A);
        own = new Uint8Array(0);
      },
    });
  },
};

function yjsWritten(clientID: number, keys: readonly string[], value: (i: number) => number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const m = doc.getMap<number>("m");
  doc.transact(() => {
    for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, value(i));
  });
  return doc;
}

/** Yjs: a `Y.Map`, the source's whole update applied to the target. */
export const yjs: RoundImpl = {
  impl: "Yjs",
  round: (keys, expected) => {
    let target: Y.Doc | undefined;
    let source: Y.Doc | undefined;
    let redecoded: Y.Doc | undefined;
    let own: Uint8Array = new Uint8Array(0);
    const destroy = (): void => {
      target?.destroy();
      source?.destroy();
      redecoded?.destroy();
      target = source = redecoded = undefined;
    };
    return timeRound<Uint8Array>("Yjs", expected, {
      build: () => {
        // Concurrent map writes: Yjs keeps the one of the larger client id, so the source is 2.
        target = yjsWritten(1, keys, targetValue);
        own = Y.encodeStateAsUpdate(target);
        source = yjsWritten(2, keys, sourceValue);
      },
      encode: () => Y.encodeStateAsUpdate(source as Y.Doc),
      bytes: (p) => p.length,
      apply: (p) => Y.applyUpdate(target as Y.Doc, p),
      read: () => readConverge((target as Y.Doc).getMap<number>("m"), keys),
      redecode: () => {
        destroy();
        redecoded = new Y.Doc();
        redecoded.clientID = 3;
        Y.applyUpdate(redecoded, own);
      },
      applyRedecoded: (p) => {
        Y.applyUpdate(redecoded as Y.Doc, p);
        return 0;
      },
      free: destroy,
    });
  },
};

function loroWritten(peer: number, keys: readonly string[], value: (i: number) => number): LoroDoc {
  const doc = new LoroDoc();
  doc.setPeerId(peer);
  const m = doc.getMap("m");
  for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, value(i));
  doc.commit();
  return doc;
}

/** Loro: a `LoroMap`, the source's snapshot imported into the target. */
export const loro: RoundImpl = {
  impl: "Loro",
  round: (keys, expected) => {
    let target: LoroDoc | undefined;
    let source: LoroDoc | undefined;
    let redecoded: LoroDoc | undefined;
    let own: Uint8Array = new Uint8Array(0);
    const free = (): void => {
      target?.free();
      source?.free();
      redecoded?.free();
      target = source = redecoded = undefined;
    };
    return timeRound<Uint8Array>("Loro", expected, {
      build: () => {
        // Equal Lamport times on every key: the larger peer id wins, so the source is peer 2.
        target = loroWritten(1, keys, targetValue);
        own = target.export({ mode: "snapshot" });
        source = loroWritten(2, keys, sourceValue);
      },
      encode: () => (source as LoroDoc).export({ mode: "snapshot" }),
      bytes: (p) => p.length,
      apply: (p) => {
        (target as LoroDoc).import(p);
      },
      read: () => {
        const m = (target as LoroDoc).getMap("m");
        return readConverge(m, keys);
      },
      redecode: () => {
        free();
        redecoded = LoroDoc.fromSnapshot(own);
      },
      applyRedecoded: (p) => {
        (redecoded as LoroDoc).import(p);
        return 0;
      },
      free,
    });
  },
};

type AmDoc = Automerge.Doc<Record<string, number>>;
const AM_TARGET = "0a".repeat(16);
const AM_SOURCE = "0b".repeat(16);

function automergeWritten(actor: string, keys: readonly string[], value: (i: number) => number): AmDoc {
  return Automerge.change(Automerge.init<Record<string, number>>({ actor }), (d) => {
    for (let i = 0; i < keys.length; i++) d[keys[i] as string] = value(i);
  });
}

/** Automerge: a document's saved bytes loaded incrementally into the target. */
export const automerge: RoundImpl = {
  impl: "Automerge",
  round: (keys, expected) => {
    // Every document is freed at the end of its round: keeping merged documents alive inflated
    // Automerge's later rounds 1.7–3.4× (its wasm heap grows and stays fragmented).
    // `loadIncremental` hands the document's wasm handle on to the document it returns, so each
    // variable holds the latest document of its line and only those are freed.
    let target: AmDoc | undefined;
    let source: AmDoc | undefined;
    let redecoded: AmDoc | undefined;
    let own: Uint8Array = new Uint8Array(0);
    const free = (): void => {
      for (const d of [target, source, redecoded]) if (d !== undefined) Automerge.free(d);
      target = source = redecoded = undefined;
    };
    return timeRound<Uint8Array>("Automerge", expected, {
      build: () => {
        // Equal counters on every key: the larger actor id wins, so the source is 0b….
        target = automergeWritten(AM_TARGET, keys, targetValue);
        own = Automerge.save(target);
        source = automergeWritten(AM_SOURCE, keys, sourceValue);
      },
      encode: () => Automerge.save(source as AmDoc),
      bytes: (p) => p.length,
      apply: (p) => {
        target = Automerge.loadIncremental(target as AmDoc, p);
      },
      read: () => {
        const doc = target as AmDoc;
        let sum = 0;
        for (let i = 0; i < keys.length; i++) sum += doc[keys[i] as string] as number;
        return sum;
      },
      redecode: () => {
        free();
        redecoded = Automerge.load<Record<string, number>>(own);
      },
      applyRedecoded: (p) => {
        redecoded = Automerge.loadIncremental(redecoded as AmDoc, p);
        return 0;
      },
      free,
    });
  },
};
