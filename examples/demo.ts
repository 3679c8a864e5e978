import { runInventoryDemo } from "./inventory.ts";

const outcome = runInventoryDemo((line) => console.log(line));
if (!outcome.converged || !outcome.driftRejected) process.exitCode = 1;
