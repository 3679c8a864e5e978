/**
 * The sync package's Store contract kit, bundled for the page: run in Chromium by the web app's
 * tests against the real IndexedDB (`runStoreContract()` returns one result per law).
 */
import { indexedDbStore } from "@converge/store-indexeddb";
import { runStoreTests } from "@converge/sync/testing";

interface Case {
  readonly name: string;
  readonly body: () => Promise<void>;
}

const cases: Case[] = [];
const path: string[] = [];
let n = 0;
runStoreTests(
  "indexedDbStore in Chromium",
  () => {
    const name = `converge-contract-${n++}`;
    return { store: indexedDbStore({ name }), reopen: () => indexedDbStore({ name }) };
  },
  {
    describe: (name, body) => {
      path.push(name);
      body();
      path.pop();
    },
    it: (name, body) => {
      cases.push({ name: [...path, name].join(" > "), body });
    },
  },
);

(globalThis as { runStoreContract?: unknown }).runStoreContract = async () => {
  const results: { name: string; ok: boolean; error?: string }[] = [];
  for (const c of cases) {
    try {
      await c.body();
      results.push({ name: c.name, ok: true });
    } catch (e) {
      results.push({ name: c.name, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
};
