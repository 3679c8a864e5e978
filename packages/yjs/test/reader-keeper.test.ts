import { DEFAULT_DECODE_LIMITS, StateReader, StateWriter } from "@converge/core/codec";
import { describe, expect, it } from "vitest";
import { createReaderKeeper } from "../src/reader-keeper.ts";

describe("the reader keeper", () => {
  it("keeps an empty reader of its own, made once, holding nothing of the readers it was shown", () => {
    const table: string[] = [];
    const w = new StateWriter(new Map(), table, 16);
    w.replica("00000000000000a1");
    w.time(1_700_000_000_000, 3);
    const bytes = w.finish();
    const used = new StateReader(bytes, 0, bytes.length, table, DEFAULT_DECODE_LIMITS);
    used.replica();
    used.time("00000000000000a1");
    const keeper = createReaderKeeper();
    expect(keeper.kept()).toBeUndefined();
    keeper.keep(used);
    const kept = keeper.kept();
    expect(kept).toBeDefined();
    expect(kept).not.toBe(used);
    expect(kept?.remaining).toBe(0);
    expect(kept?.source.length).toBe(0);
    expect(kept?.table).toEqual([]);
    expect(kept?.limits).toBe(used.limits);
    keeper.keep(new StateReader(bytes, 0, bytes.length, table, DEFAULT_DECODE_LIMITS));
    expect(keeper.kept()).toBe(kept);
  });
});
