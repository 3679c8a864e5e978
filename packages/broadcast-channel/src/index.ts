/**
 * @converge/broadcast-channel — transports between tabs (or workers) of one origin over
 * `BroadcastChannel`, with no server: one tab runs a sync host and {@link acceptBroadcastChannel}
 * on a name; the others connect their sessions with {@link broadcastChannelDialer}. Each
 * connection gets a channel of its own; frames are numbered, closes are messages, and a
 * heartbeat detects a tab that vanished without saying goodbye (`LINK_LOST`).
 *
 * @packageDocumentation
 */

export { acceptBroadcastChannel, type BroadcastChannelAcceptor } from "./accept-broadcast-channel.ts";
export { type BroadcastChannelDialerOptions, broadcastChannelDialer } from "./broadcast-channel-dialer.ts";
export type { HeartbeatOptions } from "./channel-endpoint.ts";
export { BroadcastChannelError, type BroadcastChannelErrorCode } from "./errors.ts";
