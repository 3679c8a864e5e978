import type { VersionVector } from "@converge/core";
import { Reader, Writer } from "@converge/core/codec";
import { SyncError } from "../errors.ts";
import { decodeVersionVector, encodeVersionVector } from "../frame-codec.ts";
import { crc32 } from "../row-checksum.ts";

/** The version of the hub messages (docs/PROTOCOL.md, "Scale-out: hubs"); the first byte of each. */
export const HUB_MESSAGE_VERSION = 1;

/** Tag bytes of the hub messages. */
const TAGS = { payload: 1, digest: 2, request: 3, delta: 4, payloads: 5 } as const;

/** Bytes before a message's body: version, tag, 8-byte rules fingerprint. */
const HEADER = 10;
const HEX16 = /^[0-9a-f]{16}$/;

/**
 * One message between the hosts of a document. `payload`: a client's payload, published after it
 * was committed and acknowledged; `digest`: the sender's committed vector; `request`: the sender's
 * vector, asking for a delta from it; `delta`: the answer to a digest or request; `payloads`:
 * two or more client payloads published in one turn, in merge order (one entry on the hub).
 */
export type HubMessage =
  | { readonly type: "payload"; readonly fingerprint: string; readonly payload: Uint8Array }
  | { readonly type: "payloads"; readonly fingerprint: string; readonly payloads: readonly Uint8Array[] }
  | { readonly type: "delta"; readonly fingerprint: string; readonly payload: Uint8Array }
  | { readonly type: "digest"; readonly fingerprint: string; readonly vector: VersionVector }
  | { readonly type: "request"; readonly fingerprint: string; readonly vector: VersionVector };

/** Encodes a hub message: `byte 1`, `byte tag`, `id8 fingerprint`, then the payload bytes or a `vector`. */
export function encodeHubMessage(m: HubMessage): Uint8Array {
  if (!HEX16.test(m.fingerprint))
    throw new SyncError("FRAME_MALFORMED", `not a fingerprint: ${m.fingerprint}`);
  const body =
    m.type === "payload" || m.type === "delta"
      ? m.payload
      : m.type === "payloads"
        ? encodePayloadList(m.payloads)
        : encodeVersionVector(m.vector);
  const out = new Uint8Array(HEADER + body.length);
  out[0] = HUB_MESSAGE_VERSION;
  out[1] = TAGS[m.type];
  for (let i = 0; i < 8; i++) out[2 + i] = Number.parseInt(m.fingerprint.slice(i * 2, i * 2 + 2), 16);
  out.set(body, HEADER);
  return out;
}

/**
 * `uint n ≥ 2`, then n × `bytes` (each non-empty), then a CRC-32 of everything before it (4 bytes,
 * little-endian): a list damaged anywhere is refused whole, so none of its payloads is merged
 * while another is dropped.
 */
function encodePayloadList(payloads: readonly Uint8Array[]): Uint8Array {
  if (payloads.length < 2 || payloads.some((p) => p.length === 0))
    throw new SyncError("FRAME_MALFORMED", "a payload list holds two or more non-empty payloads");
  const w = new Writer(payloads.reduce((n, p) => n + p.length + 5, 9));
  w.uint(payloads.length);
  for (const p of payloads) w.bytes(p);
  const list = w.finish();
  const out = new Uint8Array(list.length + 4);
  out.set(list);
  new DataView(out.buffer).setUint32(list.length, crc32(list), true);
  return out;
}

function decodePayloadList(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < 4) throw new SyncError("FRAME_MALFORMED", "a payload list without its checksum");
  const body = bytes.subarray(0, bytes.length - 4);
  const sum = new DataView(bytes.buffer, bytes.byteOffset + body.length, 4).getUint32(0, true);
  if (crc32(body) !== sum)
    throw new SyncError("FRAME_MALFORMED", "a payload list whose checksum does not match");
  const r = new Reader(body);
  const n = r.count(2, "payload");
  if (n < 2) r.fail("a payload list holds two or more payloads");
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const p = r.bytes(body.length);
    if (p.length === 0) r.fail("an empty payload");
    out.push(p);
  }
  r.done();
  return out;
}

/**
 * Decodes a hub message. Payload bytes are a view into `bytes` (core checks them when they are
 * merged; those of a payload list are copies). @throws SyncError (`FRAME_MALFORMED`) for a message
 * shorter than its header, another version, an unknown tag, an empty payload, a payload list or a
 * vector that does not decode exactly.
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
    case TAGS.payloads: {
      let payloads: Uint8Array[];
      try {
        payloads = decodePayloadList(body);
      } catch (e) {
        return bad("a malformed payload list", e);
      }
      return { type: "payloads", fingerprint, payloads };
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
