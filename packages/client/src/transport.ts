/**
 * The slice of the WebSocket API the client depends on. Both the browser's global `WebSocket` and
 * the `ws` package's `WebSocket` satisfy it, and so does the in-process fake in `./testing`.
 */

/** `WebSocket.OPEN`; a literal so the client never reads a static off the constructor. */
export const WS_OPEN = 1;

/** The parts of a message event the client reads. */
export interface WebSocketMessageEventLike {
  readonly data: unknown;
}

/** The parts of a close event the client reads. */
export interface WebSocketCloseEventLike {
  readonly code: number;
  readonly reason: string;
}

// Handlers are declared through a method signature so they are compared bivariantly: the DOM and
// `ws` declare richer event types (MessageEvent, CloseEvent) than the fields read here.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  /** Set to `'arraybuffer'` so binary frames arrive as bytes, not as a browser Blob. */
  binaryType: string;
  onmessage: Handler<WebSocketMessageEventLike> | null;
  onclose: Handler<WebSocketCloseEventLike> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: the browser global, `ws`'s `WebSocket`, or a fake. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;
