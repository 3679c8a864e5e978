import { runInventoryDemo } from "./inventory.ts";
import { runSystemDemo } from "./system-demo.ts";

console.log("== 1. the library: three partitioned shop replicas synced by shuffled deltas\n");
const outcome = runInventoryDemo((line) => console.log(line));
if (!outcome.converged || !outcome.driftRejected) process.exitCode = 1;

console.log("\n== 2. the system: converge serve --data, three replicas over WebSocket, kill -9\n");
const system = await runSystemDemo((line) => console.log(`  ${line}`));
if (!system.converged || system.lostAcknowledged > 0) process.exitCode = 1;

console.log("\n== 3. the web app: node --conditions=@converge/source examples/web-app/serve.ts 8080");
console.log("   then open http://127.0.0.1:8080/?name=Ann and http://127.0.0.1:8080/?name=Bo");
