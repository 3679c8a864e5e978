import { Timestamp } from "@converge/hlc";
import { describe, it } from "vitest";
import { pncounter } from "../src/index.ts";

const id = (i: number) => i.toString(16).padStart(16, "0");
describe("probe", () => {
  it("many counter records", { timeout: 120000 }, () => {
    const r = pncounter();
    for (const n of [2000, 8000]) {
      let state: unknown;
      let later: unknown;
      for (let i = 1; i <= n; i++) {
        const s = r.increment!(undefined, 1, { replica: id(i), seq: 1, time: new Timestamp(1000, 0, id(i)) });
        state = state === undefined ? s : r.merge(state, s);
        const s2 = r.increment!(s, 1, { replica: id(i), seq: 2, time: new Timestamp(1001, 0, id(i)) });
        later = later === undefined ? s2 : r.merge(later, s2);
      }
      let t = performance.now();
      r.forget!(state, state, () => true);
      const f = performance.now() - t;
      t = performance.now();
      const m = r.merge(state, later);
      const mt = performance.now() - t;
      t = performance.now();
      let v = 0;
      r.versions(m, () => v++);
      console.log(n, "forget", f.toFixed(1), "merge", mt.toFixed(1), r.read(m), v);
    }
  });
});
