/**
 * @converge/sync/testing — what converge tests its sync protocol with, for your adapters and apps.
 *
 * - {@link faultyNetwork}: in-memory links whose faults (lost links, delays, interleaving across
 *   clients, partitions, dial failures) come from a seeded PRNG, stepped by the test;
 * - {@link fakeTimers}: timers and a clock the test advances by hand (backoff, handshake
 *   timeouts, rate windows);
 * - {@link prng}: the seeded generator behind them.
 *
 * The contract kits (`runTransportTests`, `runStoreTests`) join this subpath from their own files.
 *
 * @packageDocumentation
 */

export { type FakeTimers, fakeTimers } from "./fake-timers.ts";
export {
  type Faults,
  type FaultyNetwork,
  type FaultyNetworkOptions,
  faultyNetwork,
} from "./faulty-network.ts";
export { type Prng, prng } from "./prng.ts";
