import { describe, expect, it } from "vitest";
import { runSyncDemo } from "./sync-server.ts";

describe("sync demo", () => {
  it("a server and three replicas over WebSocket converge after one goes offline and edits", async () => {
    const lines: string[] = [];
    const outcome = await runSyncDemo((l) => lines.push(l));
    expect(outcome.converged).toBe(true);
    // 20 stocked, 5 restocked by web, 2 sold by the phone while offline.
    expect(outcome.stock).toBe(23);
    // Web's price came after the till's (web had seen it); the phone never set one.
    expect(outcome.price).toBe(119);
    // Concurrent tags from web and the offline phone are both kept.
    expect([...(outcome.tags as string[])].sort()).toEqual(["organic", "seasonal"]);
    expect(outcome.note).toBe("sold 2 at the market");
    expect(lines.join("\n")).toContain("all three replicas and the server converged: yes");
    expect(lines.some((l) => l.includes("phone goes offline"))).toBe(true);
  }, 60_000);
});
