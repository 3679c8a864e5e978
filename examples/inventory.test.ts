import { describe, expect, it } from "vitest";
import { runInventoryDemo } from "./inventory.ts";

describe("inventory demo", () => {
  it("converges for every delivery order and refuses the far-future replica", () => {
    for (const seed of [1, 2, 3, 2026]) {
      const lines: string[] = [];
      const outcome = runInventoryDemo((l) => lines.push(l), seed);
      expect(outcome.converged).toBe(true);
      expect(outcome.driftRejected).toBe(true);
      // 20 - 3 - 2 - 1 apples; pears deleted at the till while 12 were restocked: 12 survive.
      expect(outcome.stock).toEqual({ apple: 14, pear: 12 });
      // Concurrent carts merged item by item, keeping the larger quantity.
      expect(outcome.cart).toEqual({ apple: 2, pear: 1 });
      // The three concurrent edits of the description merged character by character.
      expect(outcome.desc).toBe("Fresh! Crisp red apple. From Kent.");
      expect(lines.join("\n")).toContain("all three replicas converged: yes");
    }
  });
});
