/**
 * Picks the run's property-test seed once, before any worker starts, and prints it.
 * Workers inherit it through CONVERGE_SEED. Replay a run with `CONVERGE_SEED=<seed> ./run test`.
 */
export function setup(): void {
  const given = process.env["CONVERGE_SEED"];
  const seed = given !== undefined && given !== "" ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error(`CONVERGE_SEED must be an integer, got ${given}`);
  process.env["CONVERGE_SEED"] = String(seed);
  const deep = process.env["CONVERGE_DEEP"] === "1";
  const scale = deep ? "20, CONVERGE_DEEP" : (process.env["CONVERGE_RUNS_SCALE"] ?? "1");
  console.log(
    `[converge] property-test seed ${seed} (runs scale ${scale}); replay: CONVERGE_SEED=${seed} ./run test`,
  );
}
