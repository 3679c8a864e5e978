import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { lww } from "@converge/resolvers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { clientIdOf, editText, yjsText } from "../src/index.ts";
import { applySpec, type EditSpec, editSpecs } from "./edits.ts";

const REPLICAS = ["00000000000000a1", "00000000000000b2", "00000000000000c3"];
const KEY = "desc:x";

type Step =
  | { readonly kind: "edit"; readonly replica: number; readonly spec: EditSpec }
  | { readonly kind: "replace"; readonly replica: number; readonly text: string }
  | { readonly kind: "delete"; readonly replica: number }
  | { readonly kind: "sync"; readonly from: number; readonly to: number; readonly path: "state" | "delta" }
  | { readonly kind: "compact"; readonly replica: number };

const r = fc.nat(REPLICAS.length - 1);
const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("edit" as const), replica: r, spec: editSpecs }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("replace" as const),
        replica: r,
        text: fc.string({ unit: fc.constantFrom("p", "q"), maxLength: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), replica: r }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("sync" as const),
        from: r,
        to: r,
        path: fc.constantFrom("state" as const, "delta" as const),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("compact" as const), replica: r }) },
  ),
  { maxLength: 40 },
);

/**
 * The oracle is Yjs itself: one Y.Doc per replica, writing under the same client id, given the
 * same edits and synced at the same moments. Whatever the converge replica reads must be what
 * its Yjs twin reads. A converge delete deletes every character; so does the twin.
 */
function run(history: readonly Step[], looks: readonly boolean[]): void {
  let now = 1_764_000_000_000;
  const maps: ReplicatedMap[] = REPLICAS.map((node) =>
    createReplicatedMap({
      resolvers: { default: lww(), keys: { "desc:*": yjsText() } },
      clockOptions: { node, now: () => now },
    }),
  );
  const twins = REPLICAS.map((node) => {
    const d = new Y.Doc({ gc: true });
    d.clientID = clientIdOf(node);
    return d;
  });
  // Some steps are not followed by a read, so merges pile up before one (documents integrate
  // merged updates lazily, at the first read).
  const look = (i: number): boolean => i === history.length - 1 || looks[i % looks.length] !== false;
  for (const [i, step] of history.entries()) {
    now += 1;
    if (step.kind === "edit") {
      editText(maps[step.replica] as ReplicatedMap, KEY, (t) => applySpec(t, step.spec));
      applySpec((twins[step.replica] as Y.Doc).getText("t"), step.spec);
    } else if (step.kind === "replace") {
      (maps[step.replica] as ReplicatedMap).set(KEY, step.text);
      const t = (twins[step.replica] as Y.Doc).getText("t");
      Y.transact(t.doc as Y.Doc, () => {
        t.delete(0, t.length);
        t.insert(0, step.text);
      });
    } else if (step.kind === "delete") {
      (maps[step.replica] as ReplicatedMap).delete(KEY);
      const t = (twins[step.replica] as Y.Doc).getText("t");
      t.delete(0, t.length);
    } else if (step.kind === "sync") {
      const from = maps[step.from] as ReplicatedMap;
      const to = maps[step.to] as ReplicatedMap;
      if (step.path === "state") to.applyState(from.encodeState());
      else to.applyDelta(from.encodeDelta(to.versionVector()));
      Y.applyUpdate(twins[step.to] as Y.Doc, Y.encodeStateAsUpdate(twins[step.from] as Y.Doc));
    } else {
      (maps[step.replica] as ReplicatedMap).compact(
        maps.filter((_, i) => i !== step.replica).map((m) => m.versionVector()),
      );
    }
    if (!look(i)) continue;
    maps.forEach((m, k) => {
      expect((m.get<string>(KEY) ?? "") as string).toBe((twins[k] as Y.Doc).getText("t").toString());
    });
  }
}

describe("text keys read what Yjs reads", () => {
  it("random edits, whole-text writes, deletes, syncs by state and delta, compactions", () => {
    const { seed, numRuns } = runConfig({}, 300);
    console.log(`[yjs oracle] seed ${seed}, ${numRuns} runs; replay with CONVERGE_SEED=${seed}`);
    fc.assert(fc.property(steps, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), run), {
      seed,
      numRuns,
    });
  }, 600_000);
});
