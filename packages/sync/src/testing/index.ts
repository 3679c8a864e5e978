/**
 * @converge/sync/testing — the contract kits every adapter's tests call.
 *
 * - {@link runTransportTests}: the laws of a `Transport` (order, copies, large and empty
 *   frames, close semantics, listeners, `pendingBytes`), over a fresh connected pair per test.
 * - {@link runStoreTests}: the laws of a `Store` (commit and reload, snapshot replacing the
 *   log, outbox and peers, call order, byte copies, isolation, close, persistence across reopen).
 *
 * Both take the caller's test framework (`{ describe, it }` from vitest, Jest, Mocha…) and use
 * their own assertions, so they add no dependency.
 *
 * @packageDocumentation
 */

export type { ContractFramework } from "./contract-framework.ts";
export { ODD_DOCUMENT_NAMES, runStoreTests, type StoreHarness } from "./run-store-tests.ts";
export { runTransportTests, type TransportPair, type TransportTestOptions } from "./run-transport-tests.ts";
