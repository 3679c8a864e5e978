// Child of "an idle store does not keep the process alive": commits 50 batches without awaiting
// them (the pending commits must keep the process up), prints once they resolved, and never
// closes the store: the process must then exit on its own. With "refused" as its second
// argument, the file is junk: the store's first call is refused, and the process must exit too
// (the regression: the worker's port stayed referenced and `converge serve` hung on a bad file).
import { writeFileSync } from "node:fs";
import { sqliteStore } from "../src/index.ts";

const [path, mode] = process.argv.slice(2) as [string, string | undefined];
if (mode === "refused") {
  writeFileSync(path, "not a database".repeat(200));
  const store = sqliteStore({ path });
  await store
    .documents()
    .catch((e: unknown) => process.stdout.write(`refused ${(e as { code: string }).code}\n`));
} else {
  const store = sqliteStore({ path });
  const doc = await store.open("doc");
  let done = 0;
  for (let n = 0; n < 50; n++) {
    void doc.commit({ append: [new Uint8Array([n])] }).then(() => {
      done++;
      if (done === 50) process.stdout.write(`committed ${done}\n`);
    });
  }
}
