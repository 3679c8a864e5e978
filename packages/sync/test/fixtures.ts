import { createReplicatedMap, type KeyRulesConfig, type ReplicatedMap } from "@converge/core";
import { lww, multiValue, pncounter } from "@converge/resolvers";
import { createSyncHost, type HostOptions, memoryTransportPair, type SyncHost } from "../src/index.ts";

/** The rules of the test documents. */
export const rules: KeyRulesConfig = {
  default: lww(),
  keys: { "stock:*": pncounter(), "tags:*": multiValue<string>() },
};

/** Other rules: a counter where the document has lww. */
export const otherRules: KeyRulesConfig = { default: pncounter() };

export const newMap = (): ReplicatedMap => createReplicatedMap({ resolvers: rules });

/** Lets promises and immediates run until nothing moves (bounded). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A host serving document "shop" (and "other") with the test rules. */
export function testHost(extra: Partial<HostOptions> = {}): SyncHost {
  return createSyncHost({
    documents: (name) => (name === "shop" || name === "other" ? { rules } : undefined),
    ...extra,
  });
}

/** A dialer to `host` over memory transports. */
export const dialTo = (host: SyncHost) => async (): Promise<ReturnType<typeof memoryTransportPair>[0]> => {
  const [client, server] = memoryTransportPair();
  host.accept(server);
  return client;
};

/** Hex of bytes, for comparing states. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
