import { runSyncDemo } from "./sync-server.ts";

const outcome = await runSyncDemo((line) => console.log(line));
if (!outcome.converged) process.exitCode = 1;
