import type { KeyRulesConfig } from "@converge/core";
import { lww } from "@converge/resolvers";

/** converge's key rules in every sync scenario: last-writer-wins for every key, as a Y.Map's keys behave. */
export const BENCH_RULES: KeyRulesConfig = { default: lww() };
