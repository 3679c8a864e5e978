import { describe, expect, it } from "vitest";
import { createReplicatedMap, isConvergeError } from "../src/index.ts";
import { rules, testLww } from "./fixtures.ts";

describe("payloadKeys", () => {
  it("lists the keys of a state, a delta and an op in order, changing nothing", () => {
    const a = createReplicatedMap({ resolvers: rules });
    const b = createReplicatedMap({ resolvers: rules });
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    a.set("b", 1);
    const base = a.versionVector();
    a.batch(() => {
      a.set("mv:x", 2);
      a.set("a", 3);
    });
    expect(b.payloadKeys(a.encodeState())).toEqual(["a", "b", "mv:x"]);
    expect(b.payloadKeys(a.encodeDelta(base))).toEqual(["a", "mv:x"]);
    expect(b.payloadKeys(ops[1] as Uint8Array)).toEqual(["a", "mv:x"]);
    expect(b.size).toBe(0);
    expect(b.versionVector().size).toBe(0);
    // A delta whose base b lacks is still listed: nothing is admitted.
    expect(b.payloadKeys(a.encodeDelta(base))).toHaveLength(2);
  });

  it("refuses what an apply refuses to decode", () => {
    const a = createReplicatedMap({ resolvers: rules });
    a.set("k", 1);
    const bytes = a.encodeState();
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    const other = createReplicatedMap({ resolvers: { default: testLww } });
    let code = "";
    try {
      other.payloadKeys(a.encodeState());
    } catch (e) {
      if (isConvergeError(e)) code = e.code;
    }
    expect(code).toBe("CONFIG_MISMATCH");
    try {
      other.payloadKeys(bytes);
    } catch (e) {
      if (isConvergeError(e)) code = e.code;
    }
    expect(code).toBe("DECODE_CHECKSUM");
  });
});
