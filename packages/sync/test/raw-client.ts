import { type ReplicatedMap, versionVector } from "@converge/core";
import { FORMAT_VERSION } from "@converge/core/codec";
import {
  type CloseInfo,
  decodeFrames,
  encodeMessage,
  type Message,
  memoryTransportPair,
  PROTOCOL_VERSION,
  type SyncHost,
  type Transport,
} from "../src/index.ts";

/** A hand-driven connection to a host: what it received, how it closed. */
export interface RawClient {
  readonly transport: Transport;
  readonly got: Message[];
  readonly closed: () => CloseInfo | undefined;
  readonly hello: (map: ReplicatedMap, credentials?: string | null) => void;
  readonly send: (m: Message) => void;
}

export function rawClient(host: SyncHost, transport?: readonly [Transport, Transport]): RawClient {
  const [client, server] = transport ?? memoryTransportPair();
  const got: Message[] = [];
  let closed: CloseInfo | undefined;
  // A batch is unpacked: `got` lists the messages as if each had come in its own frame.
  client.onFrame((f) => got.push(...decodeFrames(f, { maxFrameBytes: 1 << 30 })));
  client.onClose((i) => {
    closed = i;
  });
  host.accept(server);
  return {
    transport: client,
    got,
    closed: () => closed,
    hello: (map, credentials = null) =>
      client.send(
        encodeMessage({
          type: "hello",
          protocol: PROTOCOL_VERSION,
          format: FORMAT_VERSION,
          document: "shop",
          replica: map.id,
          fingerprint: map.fingerprint,
          vector: versionVector(),
          credentials,
        }),
      ),
    send: (m) => client.send(encodeMessage(m)),
  };
}
