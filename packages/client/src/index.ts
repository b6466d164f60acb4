export {
  RoomcastClient,
  type RoomcastClientOptions,
  type RoomcastEvents,
  type ChatOptions,
  type CloseInfo,
  type ClientEnd,
  type ReconnectInfo,
  type ClientStats,
  type ClientState,
  type LeftFrame,
  type PongFrame,
  type RefreshedFrame,
} from './roomcast-client';
export { RoomcastError, type RoomcastErrorKind } from './roomcast-error';
export type { RoomMode } from './room-stream';
export { TypedEmitter } from './emitter';
export { backoffDelayMs, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff';
export type {
  WebSocketConstructor,
  WebSocketLike,
  WebSocketMessageEventLike,
  WebSocketCloseEventLike,
} from './transport';
