import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isConvergeError } from "@converge/hlc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { healScenario, MARKER } from "../../../test/kit/heal-scenario.ts";
import { sqliteStore } from "../src/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "converge-heal-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the file with a store that keeps damaged records aside, noting where. */
const openAt = (path: string, kept: string[]) => async () => {
  const store = sqliteStore({ path, onCorrupt: (_e, at) => kept.push(at) });
  return { store, records: await store.open("shop") };
};

describe("a client whose SQLite file is damaged heals from the server", () => {
  it("flipped bytes in a log row: typed error and event, the file kept aside, state rebuilt, unacknowledged ops kept", async () => {
    const path = join(dir, "client.db");
    const kept: string[] = [];
    let flipped: Buffer | undefined;
    const outcome = await healScenario(
      async () => {
        const store = sqliteStore({ path });
        return { store, records: await store.open("shop") };
      },
      async () => {
        const file = readFileSync(path);
        const at = file.indexOf(Buffer.from(MARKER));
        expect(at).toBeGreaterThan(0);
        file[at + 5] = (file[at + 5] as number) ^ 0x04;
        writeFileSync(path, file);
        flipped = Buffer.from(file.subarray(at, at + MARKER.length));
      },
      openAt(path, kept),
    );
    expect(isConvergeError(outcome.loadedDamage, "STORE_CORRUPT")).toBe(true);
    expect(outcome.errors).toContain("STORE_CORRUPT");
    expect(outcome.corrupt).toEqual(["STORE_CORRUPT"]);
    expect(outcome.resets).toBe(1);
    expect(kept).toEqual([`${path}.corrupt-1`]);
    // The copy kept aside still holds the damaged row as it was found.
    expect(readFileSync(`${path}.corrupt-1`).indexOf(flipped as Buffer)).toBeGreaterThan(0);
    expect(outcome.marker).toBe(MARKER);
    expect(outcome.offlineWrites).toEqual(outcome.expectedOffline);
    expect(outcome.afterwards).toBe("healed");
    expect(outcome.identical).toBe(true);
    expect(outcome.newId).toBe(true);
  }, 30_000);

  it("a truncated file: kept aside whole, state rebuilt from the server (its outbox went with the file)", async () => {
    const path = join(dir, "client.db");
    const kept: string[] = [];
    let truncated: Buffer | undefined;
    const outcome = await healScenario(
      async () => {
        const store = sqliteStore({ path });
        return { store, records: await store.open("shop") };
      },
      async () => {
        rmSync(`${path}-wal`, { force: true });
        const file = readFileSync(path);
        truncated = file.subarray(0, 1000);
        writeFileSync(path, truncated);
      },
      openAt(path, kept),
    );
    expect(isConvergeError(outcome.loadedDamage, "STORE_CORRUPT")).toBe(true);
    expect(outcome.corrupt).toEqual(["STORE_CORRUPT"]);
    expect(outcome.resets).toBe(1);
    expect(kept).toEqual([`${path}.corrupt-1`]);
    expect(readFileSync(`${path}.corrupt-1`).equals(truncated as Buffer)).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(outcome.marker).toBe(MARKER);
    // The outbox lived in the truncated file: the server's state is what there is.
    expect(outcome.offlineWrites.get("stock:apple")).toBe(5);
    expect(outcome.afterwards).toBe("healed");
    expect(outcome.identical).toBe(true);
  }, 30_000);
});
