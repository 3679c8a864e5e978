import { describe, expect, it } from "vitest";
import { PartAssembler, type PartHeader, parsePart, partField, splitBytes } from "../src/message-parts.ts";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const header = (text: string): PartHeader => {
  const h = parsePart(Buffer.from(text, "latin1"));
  if (h === undefined) throw new Error(`not a part: ${text}`);
  return h;
};

describe("message parts", () => {
  it("split views cover the bytes exactly; a message that fits is one piece", () => {
    const b = Buffer.from(Array.from({ length: 10 }, (_, i) => i));
    expect(splitBytes(b, 10)).toEqual([b]);
    expect(splitBytes(b, 4).map((p) => [...p])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(partField(12, 0, 3)).toBe("12 0 3");
  });

  it("part fields are refused unless they are `<message> <index> <count>` with 2 ≤ count, index < count", () => {
    expect(header("12 0 3")).toEqual({ message: 12, index: 0, count: 3 });
    for (const bad of [
      "1 0 1",
      "1 3 3",
      "1 0",
      "a 0 2",
      " 1 0 2",
      "1 0 2 ",
      "-1 0 2",
      "1  0 2",
      "9999999999999999 0 2",
    ])
      expect(parsePart(Buffer.from(bad, "latin1")), bad).toBeUndefined();
  });

  it("parts in order make the message, copied out of the entries", () => {
    const a = new PartAssembler(100);
    const parts = [bytes(3, 1), bytes(3, 2), bytes(1, 3)];
    expect(a.add("s", header("5 0 3"), parts[0] as Uint8Array).kind).toBe("partial");
    expect(a.add("t", header("1 0 2"), bytes(2, 9)).kind).toBe("partial"); // another source meanwhile
    expect(a.add("s", header("5 1 3"), parts[1] as Uint8Array).kind).toBe("partial");
    const out = a.add("s", header("5 2 3"), parts[2] as Uint8Array);
    expect(out).toEqual({ kind: "whole", bytes: new Uint8Array([1, 1, 1, 2, 2, 2, 3]) });
    expect(a.add("t", header("1 1 2"), bytes(1, 8))).toEqual({
      kind: "whole",
      bytes: new Uint8Array([9, 9, 8]),
    });
  });

  it("every way a message can be cut short is a loss, and the parts after it never make a message", () => {
    const cases: [string, (a: PartAssembler) => unknown][] = [
      ["first part missing", (a) => a.add("s", header("1 1 2"), bytes(1, 1))],
      [
        "a middle part missing",
        (a) => {
          a.add("s", header("1 0 3"), bytes(1, 1));
          return a.add("s", header("1 2 3"), bytes(1, 1));
        },
      ],
      [
        "a part of another message",
        (a) => {
          a.add("s", header("1 0 2"), bytes(1, 1));
          return a.add("s", header("2 1 2"), bytes(1, 1));
        },
      ],
      [
        "the count changed",
        (a) => {
          a.add("s", header("1 0 2"), bytes(1, 1));
          return a.add("s", header("1 1 3"), bytes(1, 1));
        },
      ],
      [
        "a new message began",
        (a) => {
          a.add("s", header("1 0 2"), bytes(1, 1));
          return a.add("s", header("2 0 2"), bytes(1, 1));
        },
      ],
      [
        "over maxBytes",
        (a) => {
          a.add("s", header("1 0 3"), bytes(6, 1));
          return a.add("s", header("1 1 3"), bytes(6, 1));
        },
      ],
    ];
    for (const [name, run] of cases) {
      const a = new PartAssembler(10);
      expect((run(a) as { kind: string }).kind, name).toBe("lost");
    }
    // A single-entry message ends a message in progress.
    const a = new PartAssembler(10);
    a.add("s", header("1 0 2"), bytes(1, 1));
    expect(a.single("s")).toBe(true);
    expect(a.single("s")).toBe(false);
    expect(a.add("s", header("1 1 2"), bytes(1, 1)).kind).toBe("lost");
    // Cleared (the hub went down): nothing in progress survives.
    a.add("s", header("3 0 2"), bytes(1, 1));
    a.clear();
    expect(a.add("s", header("3 1 2"), bytes(1, 1)).kind).toBe("lost");
  });
});
