import { describe, expect, it } from "vitest";
import { isConvergeError, type KeyRulesConfig, ResolverMismatchError } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { caught, hex, replica, testLww, testMv } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

const fingerprint = (config: KeyRulesConfig): string => hex(compileKeyRules(config).fingerprint);

describe("CONFIG_MISMATCH says what differs", () => {
  it("gives both fingerprints and the resolvers the payload does not use, as fields and in the message", () => {
    const senderRules: KeyRulesConfig = { default: testLww };
    const receiverRules: KeyRulesConfig = { default: testLww, keys: { "tags:*": testMv } };
    const time = { now: 1_700_000_000_000 };
    const sender = replica(A, time, senderRules);
    sender.set("price", 3);
    sender.set("tags:apple", "red"); // an lww key for the sender, a multi-value key here
    const receiver = replica(B, time, receiverRules);
    receiver.set("tags:pear", "green");
    const before = hex(receiver.encodeState());

    const e = caught(() => receiver.apply(sender.encodeState()));
    expect(isConvergeError(e, "CONFIG_MISMATCH"), String(e)).toBe(true);
    if (!isConvergeError(e, "CONFIG_MISMATCH")) return;
    // Narrowed to ResolverMismatchError: the fields are typed.
    expect(e.expected).toBe(fingerprint(receiverRules));
    expect(e.received).toBe(fingerprint(senderRules));
    expect(e.expected).not.toBe(e.received);
    expect(e.differences).toEqual([
      { kind: "fingerprint", expected: fingerprint(receiverRules), received: fingerprint(senderRules) },
      { kind: "resolver-not-in-payload", resolver: "test-mv@1" },
    ]);
    expect(Object.isFrozen(e.differences)).toBe(true);
    expect(e.message).toContain(`its key-rule fingerprint is ${fingerprint(senderRules)}`);
    expect(e.message).toContain(`this replica's is ${fingerprint(receiverRules)}`);
    expect(e.message).toContain("Its entries use test-lww@1");
    expect(e.message).toContain("also use test-mv@1, which no entry of the payload uses");
    expect(e.message).toContain('* "tags:" test-mv@1');
    expect(hex(receiver.encodeState())).toBe(before);
  });

  it("with the same resolvers under other patterns, only the fingerprints differ", () => {
    const senderRules: KeyRulesConfig = { default: testLww, keys: { "mv:*": testMv } };
    const receiverRules: KeyRulesConfig = { default: testLww, keys: { "multi:*": testMv } };
    const time = { now: 1_700_000_000_000 };
    const sender = replica(A, time, senderRules);
    sender.set("a", 1);
    sender.set("mv:b", 2);
    const receiver = replica(B, time, receiverRules);
    const e = caught(() => receiver.applyState(sender.encodeState()));
    expect(isConvergeError(e, "CONFIG_MISMATCH")).toBe(true);
    expect(e).toBeInstanceOf(ResolverMismatchError);
    const error = e as ResolverMismatchError;
    expect(error.differences).toEqual([
      { kind: "fingerprint", expected: fingerprint(receiverRules), received: fingerprint(senderRules) },
    ]);
    expect(error.message).toContain("Its entries use test-lww@1, test-mv@1 (known here)");
    expect(error.message).toContain('* "multi:" test-mv@1');
  });

  it("other resolver mismatches keep their codes and carry no fingerprint fields", () => {
    const time = { now: 1_700_000_000_000 };
    const sender = replica(A, time, { default: testMv });
    sender.set("a", 1);
    const receiver = replica(B, time, { default: testLww });
    const e = caught(() => receiver.apply(sender.encodeState()));
    expect(isConvergeError(e, "UNKNOWN_RESOLVER")).toBe(true);
    expect((e as ResolverMismatchError).expected).toBeUndefined();
    expect((e as ResolverMismatchError).differences).toEqual([]);
  });
});

describe("ReplicatedMap.fingerprint", () => {
  it("is the rules' fingerprint, equal for equal rules and the one CONFIG_MISMATCH reports", () => {
    const time = { now: 1_700_000_000_000 };
    const plain: KeyRulesConfig = { default: testLww };
    const tagged: KeyRulesConfig = { default: testLww, keys: { "tags:*": testMv } };
    const a = replica(A, time, plain);
    const b = replica(B, time, { default: testLww });
    const c = replica(B, time, tagged);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toBe(fingerprint(plain));
    expect(c.fingerprint).not.toBe(a.fingerprint);
    a.set("x", 1);
    const e = caught(() => c.apply(a.encodeState()));
    expect(isConvergeError(e, "CONFIG_MISMATCH")).toBe(true);
    expect((e as ResolverMismatchError).expected).toBe(c.fingerprint);
    expect((e as ResolverMismatchError).received).toBe(a.fingerprint);
  });
});
