/** What the misuse tests share: replica ids, a loosened type, the case shape, a fresh map. */
import {
  type ConvergeErrorCode,
  createReplicatedMap,
  type ReplicatedMap,
  type ReplicatedMapOptions,
} from "../src/index.ts";
import { testLww } from "./fixtures.ts";

export const A = "00000000000000a1";
export const B = "00000000000000b2";

/** Loosens a static type so a test can pass what a JavaScript caller could. */
export const loose = <T>(value: unknown): T => value as T;

/** A resolver factory, as the built-in ones are: passing it uncalled is the classic mistake. */
export function lwwFactory(): typeof testLww {
  return testLww;
}

export interface Case {
  readonly name: string;
  readonly call: () => unknown;
  readonly code: ConvergeErrorCode;
  /** Fragments the message must contain: what was passed and what was expected. */
  readonly says: readonly string[];
  /** A local write takes its clock tick before the resolver checks the value (see ERRORS.md). */
  readonly ticks?: true;
}

export const good = (extra: Partial<Record<keyof ReplicatedMapOptions, unknown>>): ReplicatedMapOptions =>
  loose({ resolvers: { default: testLww }, clockOptions: { node: A }, ...extra });

/** A map with one write (`k` = 1) at a fixed clock. */
export function fresh(): ReplicatedMap {
  const m = createReplicatedMap({
    resolvers: { default: testLww },
    clockOptions: { node: A, now: () => 1_000 },
  });
  m.set("k", 1);
  return m;
}
