// Child of "an idle store does not keep the process alive": commits 50 batches without awaiting
// them (the pending commits must keep the process up), prints once they resolved, and never
// closes the store: the process must then exit on its own.
import { sqliteStore } from "../src/index.ts";

const [path] = process.argv.slice(2) as [string];
const store = sqliteStore({ path });
const doc = await store.open("doc");
let done = 0;
for (let n = 0; n < 50; n++) {
  void doc.commit({ append: [new Uint8Array([n])] }).then(() => {
    done++;
    if (done === 50) process.stdout.write(`committed ${done}\n`);
  });
}
