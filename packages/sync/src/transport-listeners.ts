import { NOOP } from "./_internals/noop.ts";
import type { CloseInfo } from "./transport.ts";

type FrameListener = (frame: Uint8Array) => void;
type CloseListener = (info: CloseInfo) => void;
/**
 * The listener half of a {@link Transport}, for transports to build on (every converge transport
 * does): `onFrame` and `onClose` as the contract wants them, `frame` to deliver a frame and `end`
 * to deliver the close.
 *
 * Laws: listeners are called in the order added, each once however often it was added; a
 * delivery goes to the listeners present when it starts (one added or removed meanwhile counts
 * from the next), and stops as soon as the close was delivered; `end` delivers the close once —
 * later calls do nothing and return false — and from then on nothing reaches a listener and
 * listeners added are never called. Unsubscribing is idempotent.
 *
 * Kept small: a transport has a listener or two of each kind, held in an array replaced on each
 * change (concat: V8 gives a spread array room for 17), never a Set's table.
 */
export class TransportListeners {
  #frames: readonly FrameListener[] = [];
  #closes: readonly CloseListener[] = [];
  #ended = false;

  /** Whether the close was delivered (`end` was called). */
  get ended(): boolean {
    return this.#ended;
  }

  /** `Transport.onFrame`: listens to frames; returns the unsubscribe function. */
  onFrame(listener: FrameListener): () => void {
    if (this.#ended) return NOOP;
    if (!this.#frames.includes(listener)) this.#frames = this.#frames.concat([listener]);
    return () => {
      this.#frames = this.#frames.filter((l) => l !== listener);
    };
  }

  /** `Transport.onClose`: listens to the close; returns the unsubscribe function. */
  onClose(listener: CloseListener): () => void {
    if (this.#ended) return NOOP;
    if (!this.#closes.includes(listener)) this.#closes = this.#closes.concat([listener]);
    return () => {
      this.#closes = this.#closes.filter((l) => l !== listener);
    };
  }

  /** Delivers `frame` to the frame listeners (none once ended, nor after one of them ends it). */
  frame(frame: Uint8Array): void {
    for (const listener of this.#frames) {
      if (this.#ended) return;
      listener(frame);
    }
  }

  /** Delivers the close to the close listeners and drops every listener (false: already delivered). */
  end(info: CloseInfo): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    const list = this.#closes;
    this.#frames = this.#closes = [];
    for (const listener of list) listener(info);
    return true;
  }
}
