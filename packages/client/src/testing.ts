import type { ClientFrame, ServerFrame } from '@roomcast/contracts';
import {
  WS_OPEN,
  type WebSocketCloseEventLike,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketMessageEventLike,
} from './transport';

const CONNECTING = 0;
const CLOSING = 2;
const CLOSED = 3;

/**
 * An in-process WebSocket for unit tests: the test plays the server through `accept`, `receive`
 * and `serverClose`, and reads what the client sent with `sentFrames()`.
 */
export class FakeWebSocket implements WebSocketLike {
  readyState = CONNECTING;
  binaryType = 'blob';
  onmessage: ((event: WebSocketMessageEventLike) => void) | null = null;
  onclose: ((event: WebSocketCloseEventLike) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Raw text frames the client sent, oldest first. */
  readonly sent: string[] = [];
  /** The code the client passed to close(), if it did. */
  closedByClient: number | undefined;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== WS_OPEN) throw new Error(`FakeWebSocket.send in readyState ${this.readyState}`);
    this.sent.push(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    this.closedByClient = code;
    this.readyState = CLOSING;
    // Real sockets report the close asynchronously, after the closing handshake.
    setTimeout(() => this.finishClose(code, reason), 0);
  }

  /** The token query parameter the client connected with. */
  get token(): string | null {
    return new URL(this.url).searchParams.get('token');
  }

  /** Frames the client sent, parsed. */
  sentFrames(): ClientFrame[] {
    return this.sent.map((s) => JSON.parse(s) as ClientFrame);
  }

  /** Server side: the upgrade succeeded; optionally send a frame (usually `welcome`) right away. */
  accept(first?: ServerFrame): void {
    this.readyState = WS_OPEN;
    if (first !== undefined) this.receive(first);
  }

  /** Server side: deliver a frame (an object is JSON-encoded; a string is sent as is). */
  receive(frame: ServerFrame | string | object): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** Server side: close with `code` (1006 simulates a dropped connection). */
  serverClose(code: number, reason = ''): void {
    if (this.readyState === CLOSED) return;
    if (code === 1006) this.onerror?.({ type: 'error' });
    this.finishClose(code, reason);
  }

  private finishClose(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.onclose?.({ code, reason });
  }
}

/** A fresh fake "server": a WebSocket constructor for the client plus every socket it created. */
export function createFakeWebSocket(): {
  WebSocket: WebSocketConstructor;
  sockets: FakeWebSocket[];
  last(): FakeWebSocket;
} {
  const sockets: FakeWebSocket[] = [];
  class TrackedFakeWebSocket extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: TrackedFakeWebSocket,
    sockets,
    last(): FakeWebSocket {
      const socket = sockets[sockets.length - 1];
      if (socket === undefined) throw new Error('no socket was opened');
      return socket;
    },
  };
}
