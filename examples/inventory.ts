import { fileURLToPath } from "node:url";
import { createReplicatedMap, isConvergeError, type ReplicatedMap, type VersionVector } from "@converge/core";
import { lww, multiValue, pncounter } from "@converge/resolvers";
import { loadScriptFile } from "@converge/script";
import { editText, yjsText } from "@converge/yjs";
import type * as Y from "yjs";

/** What the demo found, for tests. */
export interface InventoryOutcome {
  readonly converged: boolean;
  readonly views: readonly string[];
  readonly driftRejected: boolean;
  readonly stock: Readonly<Record<string, unknown>>;
  readonly cart: unknown;
  /** The product description every replica reads after the concurrent text edits. */
  readonly desc: unknown;
}

/** A small seeded PRNG (mulberry32), so the shuffled delivery order is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Shopping carts merge by a user-defined script, run in the isolated-vm sandbox.
const cart = loadScriptFile(fileURLToPath(new URL("./resolvers/cart.js", import.meta.url)));

const rules = {
  default: lww(),
  keys: {
    "stock:*": pncounter(),
    "price:*": lww<number>(),
    "tags:*": multiValue<string>(),
    "cart:*": cart,
    "desc:*": yjsText(),
  },
};

function table(m: ReplicatedMap): string[] {
  return [...m.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `    ${k.padEnd(14)} ${JSON.stringify(v)}`);
}

/**
 * The inventory demo: three replicas of a shop's map edited while partitioned, then synced by
 * deltas delivered in a shuffled order.
 */
export function runInventoryDemo(print: (line: string) => void, seed = 2026): InventoryOutcome {
  let wall = Date.UTC(2026, 10, 26, 9, 0, 0);
  // Each replica's physical clock is skewed: the warehouse runs 2 minutes fast.
  const skew: Record<string, number> = { till: 0, warehouse: 120_000, web: -1_500 };
  const make = (name: string, node: string) =>
    createReplicatedMap({ resolvers: rules, clockOptions: { node, now: () => wall + (skew[name] ?? 0) } });
  const till = make("till", "000000000000071a");
  const warehouse = make("warehouse", "00000000000000e5");
  const web = make("web", "0000000000000ebb");
  const replicas: [string, ReplicatedMap][] = [
    ["till", till],
    ["warehouse", warehouse],
    ["web", web],
  ];

  print("converge inventory demo — three replicas: till, warehouse, web");
  print("rules: stock:* → pncounter, price:* → lww, tags:* → multi-value,");
  print("       desc:* → yjsText (@converge/yjs: Yjs text, merged character by character),");
  print(`       cart:* → examples/resolvers/cart.js (${cart.id}, sandboxed), anything else → lww\n`);

  // A shared starting point, synced everywhere.
  till.increment("stock:apple", 20);
  till.increment("stock:pear", 5);
  till.set("price:apple", 120);
  till.set("price:pear", 90);
  till.set("tags:apple", "fruit");
  for (const [, m] of replicas.slice(1)) m.applyState(till.encodeState());
  const synced = new Map(replicas.map(([n, m]) => [n, m.versionVector()] as const));

  // Partition: everyone edits alone.
  wall += 60_000;
  till.decrement("stock:apple", 3); // sold 3 apples
  till.set("price:apple", 125);
  till.delete("stock:pear"); // pears discontinued at the till…
  warehouse.decrement("stock:apple", 2); // two apples found bruised
  warehouse.increment("stock:pear", 12); // …while the warehouse restocks pears
  warehouse.set("tags:apple", "organic");
  wall += 1_000;
  web.decrement("stock:apple", 1);
  web.set("price:apple", 119); // web promo, concurrent with the till's price
  web.set("tags:apple", "seasonal");
  // Alice fills her cart on the till's kiosk and, at the same time, on the web shop.
  till.set("cart:alice", { apple: 2 });
  web.set("cart:alice", { apple: 1, pear: 1 });

  print("while partitioned:");
  for (const [name, m] of replicas) {
    print(`  ${name}:`);
    for (const line of table(m)) print(line);
  }

  // Heal: every replica sends every other a delta since what it last knew of it; deliver shuffled.
  const rand = prng(seed);
  const deltas: { to: string; from: string; bytes: Uint8Array }[] = [];
  for (const [from, m] of replicas) {
    for (const [to] of replicas) {
      if (to !== from) deltas.push({ from, to, bytes: m.encodeDelta(synced.get(to) as VersionVector) });
    }
  }
  deltas.sort(() => rand() - 0.5);
  print(`\nsyncing by deltas in shuffled order (seed ${seed}):`);
  for (const d of deltas) {
    const target = replicas.find(([n]) => n === d.to)?.[1] as ReplicatedMap;
    const result = target.applyDelta(d.bytes);
    print(
      `  ${d.from.padEnd(9)} → ${d.to.padEnd(9)} ${String(d.bytes.length).padStart(4)} bytes, ${result.changed} keys changed`,
    );
  }

  print("\nafter sync:");
  for (const [name, m] of replicas) {
    print(`  ${name}:`);
    for (const line of table(m)) print(line);
  }

  print("\nconflicts kept visible (nothing silently dropped):");
  for (const key of ["price:apple", "tags:apple", "stock:apple", "cart:alice"]) {
    const shown = till
      .conflicts(key)
      .map((c) => {
        const who = replicas.find(([, m]) => m.id === c.replica)?.[0] ?? c.replica;
        const at = new Date(c.time.wall).toISOString().slice(11, 23);
        return `${JSON.stringify(c.value)} (${who}, ${at}+${c.time.counter})`;
      })
      .join(", ");
    print(`  ${key.padEnd(12)} ${shown}`);
  }
  print(
    "  stock:pear   deleted at the till while restocked by the warehouse: the restock survives (add-wins)",
  );
  print(`  cart:alice   reads ${JSON.stringify(till.get("cart:alice"))}: the two carts merged by cart.js`);

  const desc = describeProducts(replicas, print, () => {
    wall += 1_000;
  });

  const states = replicas.map(([, m]) => Buffer.from(m.encodeState()).toString("hex"));
  const views = replicas.map(([, m]) => JSON.stringify(table(m)));
  const converged = new Set(states).size === 1 && new Set(views).size === 1;
  print(
    `\nall three replicas converged: ${converged ? "yes" : "NO"} (byte-identical encodeState: ${new Set(states).size === 1})`,
  );

  // A replica whose clock is an hour ahead: its delta is refused and nothing changes.
  const rogue = createReplicatedMap({
    resolvers: rules,
    clockOptions: { node: "00000000000bad00", now: () => wall + 3_600_000 },
  });
  rogue.set("price:apple", 1);
  let driftRejected = false;
  const before = Buffer.from(till.encodeState()).toString("hex");
  try {
    till.applyDelta(rogue.encodeDelta(till.versionVector()));
  } catch (e) {
    if (isConvergeError(e, "HLC_DRIFT")) {
      driftRejected = Buffer.from(till.encodeState()).toString("hex") === before;
      print(`\nrogue replica an hour ahead: refused — ${e.message}; till unchanged: ${driftRejected}`);
    } else throw e;
  }
  return {
    converged,
    views,
    driftRejected,
    stock: { apple: till.get("stock:apple"), pear: till.get("stock:pear") },
    cart: till.get("cart:alice"),
    desc,
  };
}

/**
 * Product descriptions: a text key written once and synced, then edited concurrently on all
 * three replicas, each edit one small op; after a sync by deltas every replica reads every edit.
 */
function describeProducts(
  replicas: readonly [string, ReplicatedMap][],
  print: (line: string) => void,
  tick: () => void,
): unknown {
  const [[, till], [, warehouse], [, web]] = replicas as [
    [string, ReplicatedMap],
    [string, ReplicatedMap],
    [string, ReplicatedMap],
  ];
  print("\nproduct descriptions (desc:apple, a Yjs text), edited concurrently on every replica:");
  editText(till, "desc:apple", (t) => t.insert(0, "Crisp apple."));
  for (const [, m] of replicas.slice(1)) m.applyState(till.encodeState());
  const since = new Map(replicas.map(([n, m]) => [n, m.versionVector()] as const));
  print(`  till      writes ${JSON.stringify(till.get("desc:apple"))}, synced to everyone`);
  tick();
  const edits: [string, ReplicatedMap, (t: Y.Text) => void][] = [
    ["till", till, (t) => t.insert(0, "Fresh! ")],
    ["warehouse", warehouse, (t) => t.insert("Crisp ".length, "red ")],
    ["web", web, (t) => t.insert(t.length, " From Kent.")],
  ];
  for (const [name, m, edit] of edits) {
    const ops: Uint8Array[] = [];
    const stop = m.onOp((op) => ops.push(op));
    editText(m, "desc:apple", edit);
    stop();
    print(
      `  ${name.padEnd(9)} edits  ${JSON.stringify(m.get("desc:apple")).padEnd(26)} (one op of ${ops[0]?.length} bytes)`,
    );
  }
  for (const [from, m] of replicas) {
    for (const [to, target] of replicas) {
      if (to !== from) target.applyDelta(m.encodeDelta(since.get(to) as VersionVector));
    }
  }
  const reads = replicas.map(([, m]) => m.get("desc:apple"));
  print(
    `  after sync every replica reads ${JSON.stringify(reads[0])}: ${new Set(reads).size === 1 ? "yes" : "NO"}`,
  );
  const who = till
    .conflicts("desc:apple")
    .map((c) => `${JSON.stringify(c.value)} (${replicas.find(([, m]) => m.id === c.replica)?.[0]})`)
    .join(", ");
  print(`  who wrote what: ${who}`);
  return reads[0];
}
