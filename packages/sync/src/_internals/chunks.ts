import { SyncError } from "../errors.ts";
import { encodeMessage } from "../frame-codec.ts";
import type { ChunkMessage } from "../messages.ts";

/** Bytes a chunk frame spends beyond its part: tag, id, last flag and the part's length. */
const CHUNK_OVERHEAD = 1 + 8 + 1 + 8;

/**
 * The frames that carry `payload`: one `payload` frame when it fits in `maxFrameBytes`, else
 * `chunk` frames of one shared `id` whose parts fill each frame, the last flagged.
 */
export function payloadFrames(payload: Uint8Array, maxFrameBytes: number, id: number): Uint8Array[] {
  const single = encodeMessage({ type: "payload", payload });
  if (single.length <= maxFrameBytes) return [single];
  const part = Math.max(1, maxFrameBytes - CHUNK_OVERHEAD);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += part) {
    const end = Math.min(payload.length, at + part);
    frames.push(
      encodeMessage({ type: "chunk", id, last: end === payload.length, bytes: payload.subarray(at, end) }),
    );
  }
  return frames;
}

/**
 * Reassembles chunked payloads on one connection. A transport delivers frames in order, so the
 * parts of one payload are consecutive: a part of another id before the last is malformed, as is
 * a payload past `maxPayloadBytes`.
 */
export class ChunkAssembler {
  readonly #maxPayloadBytes: number;
  #id = -1;
  #parts: Uint8Array[] = [];
  #bytes = 0;

  constructor(maxPayloadBytes: number) {
    this.#maxPayloadBytes = maxPayloadBytes;
  }

  /** Adds a part; returns the whole payload when `m` was its last part. @throws SyncError (`FRAME_MALFORMED`). */
  add(m: ChunkMessage): Uint8Array | undefined {
    if (this.#id >= 0 && m.id !== this.#id)
      throw new SyncError("FRAME_MALFORMED", `chunk of payload ${m.id} inside payload ${this.#id}`);
    this.#id = m.id;
    this.#bytes += m.bytes.length;
    if (this.#bytes > this.#maxPayloadBytes)
      throw new SyncError("FRAME_MALFORMED", `chunked payload passes ${this.#maxPayloadBytes} bytes`);
    this.#parts.push(m.bytes);
    if (!m.last) return undefined;
    const out = new Uint8Array(this.#bytes);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    this.#id = -1;
    this.#parts = [];
    this.#bytes = 0;
    return out;
  }
}
