import { createReplicatedMap, isConvergeError } from "@converge/core";
import { lww, multiValue, pncounter } from "@converge/resolvers";
import { describe, expect, it } from "vitest";

/** The README's "short tour", run with its placeholders filled in and its comments asserted. */
describe("README tour", () => {
  it("does what its comments say", async () => {
    const rules = {
      default: lww(),
      keys: { "stock:*": pncounter(), "price:*": lww<number>(), "tags:*": multiValue<string>() },
    };
    const till = createReplicatedMap({ resolvers: rules });
    const web = createReplicatedMap({ resolvers: rules });

    till.increment("stock:apple", 20);
    till.set("price:apple", 120);
    web.set("price:apple", 119); // concurrent with the till's price
    web.set("tags:apple", "seasonal");

    web.applyDelta(till.encodeDelta(web.versionVector()));
    till.applyDelta(web.encodeDelta(till.versionVector()));

    const winner = [...till.conflicts("price:apple")].sort((a, b) =>
      a.time.toString() < b.time.toString() ? 1 : -1,
    )[0]?.value;
    expect(till.get("price:apple")).toBe(winner); // the higher HLC timestamp wins…
    expect(web.get("price:apple")).toBe(winner); // …on both replicas
    expect(
      till
        .conflicts("price:apple")
        .map((c) => c.value)
        .sort(),
    ).toEqual([119, 120]);
    expect(till.get("tags:apple")).toEqual(["seasonal"]);

    // A sender an hour ahead: HLC_DRIFT, nothing changed.
    const rogue = createReplicatedMap({
      resolvers: rules,
      clockOptions: { now: () => Date.now() + 3_600_000 },
    });
    rogue.set("price:apple", 1);
    const untrustedBytes = rogue.encodeState();
    const before = Buffer.from(till.encodeState()).toString("hex");
    let drift = false;
    try {
      till.applyState(untrustedBytes);
    } catch (e) {
      if (isConvergeError(e, "HLC_DRIFT")) drift = true;
    }
    expect(drift).toBe(true);
    expect(Buffer.from(till.encodeState()).toString("hex")).toBe(before);

    const view = till.snapshot();
    const big = createReplicatedMap({ resolvers: rules });
    for (let i = 0; i < 10_000; i++) big.set(`k${i}`, i);
    const bigPayload = big.encodeState();
    await till.applyAsync(bigPayload, { chunkSize: 4096 });
    expect(till.get("k9999")).toBe(9999);
    expect(view.get("k9999")).toBeUndefined(); // later writes never show through the snapshot
  });
});
