import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CLOSE_CODES, type ProtocolVersion } from '@roomcast/contracts';
import type { Counter, MetricsRegistry } from '@roomcast/service-kit';
import { TokenBucket } from './rate-limit';

/** Send options object shared by every send: text frames, no per-send allocation. */
const TEXT_FRAME = { binary: false } as const;

export interface SendBudget {
  softBytes: number;
  hardBytes: number;
  dropped: Counter;
  slowClosed: Counter;
}

/** The send budget of every socket, with its counters registered in `metrics`. */
export function sendBudget(metrics: MetricsRegistry, softBytes: number, hardBytes: number): SendBudget {
  return {
    softBytes,
    hardBytes,
    dropped: metrics.counter('roomcast_gateway_frames_dropped_total', 'droppable frames dropped above the soft send budget'),
    slowClosed: metrics.counter('roomcast_gateway_slow_consumer_closes_total', 'sockets closed above the hard send budget'),
  };
}

/** Chat rate limit of every connection (one object shared by all). */
export interface ChatLimits {
  ratePerSec: number;
  burst: number;
}

/** One WebSocket session: a user on this gateway, in up to N rooms. */
export class Connection {
  readonly rooms = new Set<string>();
  alive = true;
  closed = false;
  /** Made on the first chat: most connections only watch. */
  private chatBucket: TokenBucket | undefined;

  /**
   * @param socket the TCP socket `ws` runs on (from the upgrade), written directly by sendFramed.
   * @param protocol the client protocol version chosen at the handshake (2 = batch frames).
   */
  constructor(
    readonly id: string,
    readonly userId: string,
    readonly ws: WebSocket,
    private readonly socket: Duplex,
    readonly protocol: ProtocolVersion,
    private readonly budget: SendBudget,
    private readonly chatLimits: ChatLimits,
  ) {}

  /** Takes one chat token (full burst at the first chat); false = over the rate. */
  takeChatToken(): boolean {
    this.chatBucket ??= new TokenBucket(this.chatLimits.ratePerSec, this.chatLimits.burst);
    return this.chatBucket.take();
  }

  /**
   * Whether a frame may be written now. Above the soft budget, droppable frames (counters) are
   * dropped and counted; above the hard budget the socket is closed as a slow consumer.
   */
  private admit(droppable: boolean): boolean {
    if (this.closed) return false;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.budget.hardBytes) {
      this.budget.slowClosed.inc();
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
      return false;
    }
    if (droppable && buffered > this.budget.softBytes) {
      this.budget.dropped.inc();
      return false;
    }
    return true;
  }

  /** Sends one text message through `ws` (it frames it). */
  send(frame: Buffer | string, droppable = false): void {
    if (this.admit(droppable)) this.ws.send(frame, TEXT_FRAME);
  }

  /**
   * Writes a complete WebSocket frame built once for many sockets (`textFrame`): one write, no
   * per-socket header. `ws` writes whole frames to the same socket synchronously, so frames never
   * interleave; `ws.bufferedAmount` counts these bytes too. False when not written.
   */
  sendFramed(frame: Buffer, droppable = false): boolean {
    if (this.ws.readyState !== WebSocket.OPEN || !this.admit(droppable)) return false;
    this.socket.write(frame);
    return true;
  }

  sendJson(frame: object): void {
    this.send(JSON.stringify(frame));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
  }
}
