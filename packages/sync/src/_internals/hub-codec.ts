import type { VersionVector } from "@converge/core";
import { SyncError } from "../errors.ts";
import { decodeVersionVector, encodeVersionVector } from "../frame-codec.ts";

/** The version of the hub messages (docs/PROTOCOL.md, "Scale-out: hubs"); the first byte of each. */
export const HUB_MESSAGE_VERSION = 1;

/** Tag bytes of the hub messages. */
const TAGS = { payload: 1, digest: 2, request: 3, delta: 4 } as const;

/** Bytes before a message's body: version, tag, 8-byte rules fingerprint. */
const HEADER = 10;
const HEX16 = /^[0-9a-f]{16}$/;

/**
 * One message between the hosts of a document. `payload`: a client's payload, published after it
 * was committed and acknowledged; `digest`: the sender's committed vector; `request`: the sender's
 * vector, asking for a delta from it; `delta`: the answer to a digest or request.
 */
export type HubMessage =
  | { readonly type: "payload"; readonly fingerprint: string; readonly payload: Uint8Array }
  | { readonly type: "delta"; readonly fingerprint: string; readonly payload: Uint8Array }
  | { readonly type: "digest"; readonly fingerprint: string; readonly vector: VersionVector }
  | { readonly type: "request"; readonly fingerprint: string; readonly vector: VersionVector };

/** Encodes a hub message: `byte 1`, `byte tag`, `id8 fingerprint`, then the payload bytes or a `vector`. */
export function encodeHubMessage(m: HubMessage): Uint8Array {
  if (!HEX16.test(m.fingerprint))
    throw new SyncError("FRAME_MALFORMED", `not a fingerprint: ${m.fingerprint}`);
  const body = m.type === "payload" || m.type === "delta" ? m.payload : encodeVersionVector(m.vector);
  const out = new Uint8Array(HEADER + body.length);
  out[0] = HUB_MESSAGE_VERSION;
  out[1] = TAGS[m.type];
  for (let i = 0; i < 8; i++) out[2 + i] = Number.parseInt(m.fingerprint.slice(i * 2, i * 2 + 2), 16);
  out.set(body, HEADER);
  return out;
}

/**
 * Decodes a hub message. Payload bytes are a view into `bytes` (core checks them when they are
 * merged). @throws SyncError (`FRAME_MALFORMED`) for a message shorter than its header, another
 * version, an unknown tag, an empty payload or a vector that does not decode exactly.
 */
export function decodeHubMessage(bytes: Uint8Array): HubMessage {
  const bad = (why: string, cause?: unknown): never => {
    throw new SyncError("FRAME_MALFORMED", `hub message: ${why}`, cause === undefined ? {} : { cause });
  };
  if (!(bytes instanceof Uint8Array)) return bad("not bytes");
  if (bytes.length < HEADER) return bad(`${bytes.length} bytes, shorter than its ${HEADER}-byte header`);
  if (bytes[0] !== HUB_MESSAGE_VERSION)
    return bad(`version ${bytes[0]}; this host reads version ${HUB_MESSAGE_VERSION}`);
  let fingerprint = "";
  for (let i = 2; i < HEADER; i++) fingerprint += (bytes[i] as number).toString(16).padStart(2, "0");
  const body = bytes.subarray(HEADER);
  switch (bytes[1]) {
    case TAGS.payload:
    case TAGS.delta: {
      if (body.length === 0) return bad("an empty payload");
      return { type: bytes[1] === TAGS.payload ? "payload" : "delta", fingerprint, payload: body };
    }
    case TAGS.digest:
    case TAGS.request: {
      let vector: VersionVector;
      try {
        vector = decodeVersionVector(body);
      } catch (e) {
        return bad("a malformed vector", e);
      }
      return { type: bytes[1] === TAGS.digest ? "digest" : "request", fingerprint, vector };
    }
    default:
      return bad(`unknown tag ${bytes[1]}`);
  }
}
