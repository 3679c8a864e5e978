import type * as Y from "yjs";

/** The map part of a Yjs-based client: writes and remote-change listening on a Y.Map named "m". */
export interface YMapPart {
  readonly write: (key: string, value: number) => void;
  readonly writeMany: (keys: readonly string[], value: (i: number) => number) => void;
  readonly onRemote: (listener: (count: number, keys: () => Iterable<string>) => void) => void;
  readonly get: (key: string) => unknown;
}

/** Wires the shared map "m" of `doc`; remote means a transaction not made locally (the provider's). */
export function yMapPart(doc: Y.Doc): YMapPart {
  const map = doc.getMap<number>("m");
  return {
    write: (key, value) => {
      map.set(key, value);
    },
    writeMany: (keys, value) => {
      doc.transact(() => {
        for (let i = 0; i < keys.length; i++) map.set(keys[i] as string, value(i));
      });
    },
    onRemote: (listener) => {
      map.observe((event) => {
        if (event.transaction.local) return;
        const keys = event.keysChanged;
        listener(keys.size, () => keys);
      });
    },
    get: (key) => map.get(key),
  };
}
