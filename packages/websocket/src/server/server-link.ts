import type { Duplex } from "node:stream";
import { CloseCode, type CloseInfo, type Transport } from "@converge/sync";
import type { WebSocket as WsSocket } from "ws";
import { closeCodeOf, wireCode, wireReason } from "../wrap-web-socket.ts";

const OPEN = 1;
/** Pongs a peer may have waiting to be written before its pings close the connection (ws's bound). */
export const MAX_PENDING_PONGS = 60;
const CLOSED = 3;

type FrameListener = (frame: Uint8Array) => void;
type CloseListener = (info: CloseInfo) => void;
/** A link's listeners of one kind: none, one, or several (in the order added). */
type Listeners<L> = L | readonly L[] | undefined;

/** `list` with `l` added last (unchanged when it is there already). */
function added<L extends (arg: never) => void>(list: Listeners<L>, l: L): Listeners<L> {
  if (list === undefined) return l;
  if (typeof list === "function") return list === l ? list : [list, l];
  return (list as readonly L[]).includes(l) ? list : (list as readonly L[]).concat([l]);
}

/** `list` without `l`. */
function removed<L extends (arg: never) => void>(list: Listeners<L>, l: L): Listeners<L> {
  if (list === l) return undefined;
  if (list === undefined || typeof list === "function") return list;
  const rest = (list as readonly L[]).filter((x) => x !== l);
  return rest.length === 1 ? rest[0] : rest;
}

/** What every link of one acceptor shares: its frame limit and its set of open links. */
export interface LinkOwner {
  readonly maxFrameBytes: number;
  readonly links: Set<ServerLink>;
}

/** Where a ws socket keeps its link, for the handlers shared by every socket. */
const LINK = Symbol("converge.serverLink");
type Tagged = WsSocket & { [LINK]: ServerLink };

/** Where a link's transport keeps its link, for the transport functions shared by every link. */
const OWN = Symbol("converge.link");
type LinkTransport = Transport & { readonly [OWN]: ServerLink };

/**
 * One accepted connection: the {@link Transport} over a `ws` socket, its liveness, and its place
 * in the acceptor's set. A server holds thousands, so no closure is made per connection: ws's
 * events reach the link through shared handlers (`this` is the socket, which holds the link) on
 * ws's own emitter API, with no event object per message, and the transport is an object of
 * functions shared by every link (`this` is the transport, which holds its link under a symbol
 * key that a spread copies along). Laws are those of `wrapWebSocket`: frames copied both ways,
 * `onClose` exactly once, no frame delivered after it; a text message closes with `MALFORMED`, a
 * frame over the limit with `FRAME_TOO_LARGE`, any other protocol error with `MALFORMED`.
 */
export class ServerLink {
  readonly socket: WsSocket;
  /** The TCP (or TLS) socket under it: its `bytesRead` tells whether anything arrived. */
  readonly link: Duplex & { readonly bytesRead: number };
  /** `link.bytesRead` at the last ping (-1 before the first: a new connection counts as alive). */
  seen = -1;
  readonly transport: Transport;
  readonly #owner: LinkOwner;
  // Replaced on each change, never mutated: a listener added or removed during a delivery
  // takes effect from the next one. The laws are TransportListeners' (sync), kept here in a
  // form of their own: a lone listener is held as itself, so a server's thousands of
  // connections, one listener of each kind apiece, hold no arrays (112 B each).
  #frames: Listeners<FrameListener>;
  #closes: Listeners<CloseListener>;
  /** Pongs handed to the socket and not yet written. */
  #pongs = 0;
  /** From the first close or failure: sends are dropped. */
  #closing = false;
  /** Once onClose was delivered: nothing reaches a listener after it. */
  #finished = false;

  constructor(socket: WsSocket, link: Duplex & { readonly bytesRead: number }, owner: LinkOwner) {
    this.socket = socket;
    this.link = link;
    this.#owner = owner;
    socket.binaryType = "arraybuffer";
    (socket as Tagged)[LINK] = this;
    socket.on("message", wsMessage);
    socket.on("close", wsClose);
    socket.on("error", wsError);
    socket.on("ping", wsPing);
    owner.links.add(this);
    this.transport = linkTransport(this);
  }

  /** Transport `send`: a copy of the frame to the socket, unless closing. */
  send(frame: Uint8Array): void {
    const socket = this.socket;
    if (this.#closing || socket.readyState !== OPEN) return;
    try {
      socket.send(frame.slice());
    } catch {
      // Never throws: a socket that fails here reports its close event next.
    }
  }

  /** Transport `onFrame`. */
  onFrame(listener: FrameListener): () => void {
    if (this.#finished) return NOOP;
    this.#frames = added(this.#frames, listener);
    return () => {
      this.#frames = removed(this.#frames, listener);
    };
  }

  /** Transport `onClose`. */
  onClose(listener: CloseListener): () => void {
    if (this.#finished) return NOOP;
    this.#closes = added(this.#closes, listener);
    return () => {
      this.#closes = removed(this.#closes, listener);
    };
  }

  /** Transport `isOpen`. */
  isOpen(): boolean {
    return !this.#closing && this.socket.readyState === OPEN;
  }

  /** Closes with `code` and `reason` from this end; `onClose` follows in a microtask. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    try {
      this.socket.close(wireCode(code), wireReason(reason));
    } catch {
      // The socket is already closing: nothing more to send.
    }
    queueMicrotask(() => this.#finish({ code, reason, local: true }));
  }

  /**
   * Ends the transport from outside (a missed heartbeat, a frame over the limit): `onClose` fires
   * with `code`/`reason` and `local: false`; `drop` also terminates the socket at once.
   */
  fail(code: number, reason: string, drop: boolean): void {
    if (this.#finished) return;
    this.#closing = true;
    if (drop) this.socket.terminate();
    this.#finish({ code, reason, local: false });
  }

  /** A message from ws: a binary one is a frame, a text one closes the connection. */
  message(data: unknown, isBinary: boolean): void {
    if (this.#finished) return;
    if (!isBinary) {
      this.close(CloseCode.MALFORMED, "text messages are not converge frames");
      return;
    }
    const frame =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(
            (data as Uint8Array).buffer,
            (data as Uint8Array).byteOffset,
            (data as Uint8Array).byteLength,
          ).slice();
    const listeners = this.#frames;
    if (typeof listeners === "function") listeners(frame);
    else if (listeners !== undefined)
      for (const listener of listeners) {
        if (this.#finished) return;
        listener(frame);
      }
  }

  /**
   * A ping from the peer: answered with a pong carrying its data, as RFC 6455 requires. A peer
   * that pings faster than its pongs drain ({@link MAX_PENDING_PONGS} unwritten) is cut off,
   * as ws itself does.
   */
  pinged(data: Buffer): void {
    if (this.#closing) return;
    if (this.#pongs >= MAX_PENDING_PONGS) {
      this.fail(CloseCode.RATE_LIMITED, `more than ${MAX_PENDING_PONGS} pings awaiting their pongs`, true);
      return;
    }
    this.#pongs++;
    this.socket.pong(data, false, () => {
      this.#pongs--;
    });
  }

  /** The socket closed (ws's close event): the close code it reports, and out of the set. */
  closed(code: number, reason: string): void {
    this.#owner.links.delete(this);
    const why = reason !== "" || code !== 1006 ? reason : "the link closed without a handshake";
    this.#finish({ code: closeCodeOf(code), reason: why, local: false });
  }

  /** A ws error (a close event follows): too large a frame, or another protocol error. */
  errored(error: Error & { code?: string }): void {
    if (/message_length$/i.test(error.code ?? ""))
      this.fail(CloseCode.FRAME_TOO_LARGE, `a frame larger than ${this.#owner.maxFrameBytes} bytes`, false);
    else this.fail(CloseCode.MALFORMED, error.message, false);
  }

  #finish(info: CloseInfo): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#closing = true;
    const listeners = this.#closes;
    this.#frames = this.#closes = undefined;
    // The socket's own cleanup first, so a listener that throws cannot skip it: a transport
    // closed by its user or a failure has its socket follow within a second.
    const socket = this.socket;
    if (socket.readyState === CLOSED) this.#owner.links.delete(this);
    else {
      const timer = setTimeout(() => socket.terminate(), 1000);
      socket.once("close", () => clearTimeout(timer));
    }
    if (typeof listeners === "function") listeners(info);
    else if (listeners !== undefined) for (const listener of listeners) listener(info);
  }
}

const NOOP = (): void => {};

/**
 * A link's transport: the functions every link shares, called as methods of the transport or of
 * an object spread from it (the link rides along under its symbol key). Written out as one
 * literal, so every transport has the same shape with its fields in the object.
 */
function linkTransport(link: ServerLink): LinkTransport {
  return { send, onFrame, onClose, close, isOpen, pendingBytes, [OWN]: link };
}

function send(this: LinkTransport, frame: Uint8Array): void {
  this[OWN].send(frame);
}

function onFrame(this: LinkTransport, listener: FrameListener): () => void {
  return this[OWN].onFrame(listener);
}

function onClose(this: LinkTransport, listener: CloseListener): () => void {
  return this[OWN].onClose(listener);
}

function close(this: LinkTransport, code: number = CloseCode.NORMAL, reason = ""): void {
  this[OWN].close(code, reason);
}

function isOpen(this: LinkTransport): boolean {
  return this[OWN].isOpen();
}

function pendingBytes(this: LinkTransport): number {
  return Math.max(0, this[OWN].socket.bufferedAmount);
}

function wsMessage(this: WsSocket, data: unknown, isBinary: boolean): void {
  (this as Tagged)[LINK].message(data, isBinary);
}

function wsClose(this: WsSocket, code: number, reason: Buffer): void {
  (this as Tagged)[LINK].closed(code, reason.toString());
}

function wsPing(this: WsSocket, data: Buffer): void {
  (this as Tagged)[LINK].pinged(data);
}

function wsError(this: WsSocket, error: Error & { code?: string }): void {
  (this as Tagged)[LINK].errored(error);
}
