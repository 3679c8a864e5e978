/**
 * @converge/sync/testing — what converge tests its sync protocol with, for your adapters and apps.
 *
 * - {@link runTransportTests}: the laws of a `Transport` (order, copies, large and empty
 *   frames, close semantics, listeners, `pendingBytes`), over a fresh connected pair per test.
 * - {@link runHubTests}: the laws of a scale-out `Hub` (fan-out to the other members exactly
 *   once, targeted sends, isolation, intact bytes, order, join/leave/close, outages and gaps);
 * - {@link runStoreTests}: the laws of a `Store` (commit and reload, snapshot replacing the
 *   log, outbox and peers, call order, byte copies, isolation, close, persistence across reopen).
 * - {@link faultyNetwork}: in-memory links whose faults (lost links, delays, interleaving across
 *   clients, partitions, dial failures) come from a seeded PRNG, stepped by the test;
 * - {@link fakeTimers}: timers and a clock the test advances by hand (backoff, handshake
 *   timeouts, rate windows);
 * - {@link prng}: the seeded generator behind them.
 *
 * The contract kits take the caller's test framework (`{ describe, it }` from vitest, Jest,
 * Mocha…) and use their own assertions, so they add no dependency.
 *
 * @packageDocumentation
 */

export type { ContractFramework } from "./contract-framework.ts";
export { type FakeTimers, fakeTimers } from "./fake-timers.ts";
export {
  type Faults,
  type FaultyNetwork,
  type FaultyNetworkOptions,
  faultyNetwork,
} from "./faulty-network.ts";
export { type Prng, prng } from "./prng.ts";
export { type HubHarness, type HubTestOptions, runHubTests } from "./run-hub-tests.ts";
export { ODD_DOCUMENT_NAMES, runStoreTests, type StoreHarness } from "./run-store-tests.ts";
export { runTransportTests, type TransportPair, type TransportTestOptions } from "./run-transport-tests.ts";
