import { createReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
import { expect, it } from "vitest";
import { editText, yjsText } from "../src/index.ts";

it("smoke", () => {
  const rules = { default: lww(), keys: { "desc:*": yjsText() } };
  const a = createReplicatedMap({ resolvers: rules, clockOptions: { node: "00000000000000a1" } });
  const b = createReplicatedMap({ resolvers: rules, clockOptions: { node: "00000000000000b2" } });
  const ops: Uint8Array[] = [];
  a.onOp((o) => ops.push(o));
  editText(a, "desc:x", (t) => t.insert(0, "hello world"));
  b.applyState(a.encodeState());
  editText(a, "desc:x", (t) => t.insert(0, "A "));
  editText(b, "desc:x", (t) => t.insert(t.length, " B"));
  b.applyDelta(a.encodeDelta(b.versionVector()));
  a.applyDelta(b.encodeDelta(a.versionVector()));
  console.log(a.get("desc:x"), b.get("desc:x"), ops.map((o) => o.length), a.conflicts("desc:x"));
  expect(a.get("desc:x")).toBe(b.get("desc:x"));
});
