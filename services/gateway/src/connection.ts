import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '@roomcast/contracts';
import type { Counter } from '@roomcast/service-kit';
import { TokenBucket } from './rate-limit';

/** Send options object shared by every send: text frames, no per-send allocation. */
const TEXT_FRAME = { binary: false } as const;

export interface SendBudget {
  softBytes: number;
  hardBytes: number;
  dropped: Counter;
  slowClosed: Counter;
}

/** One WebSocket session: a user on this gateway, in up to N rooms. */
export class Connection {
  readonly rooms = new Set<string>();
  alive = true;
  closed = false;
  readonly chatBucket: TokenBucket;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly ws: WebSocket,
    private readonly budget: SendBudget,
    chatRate: number,
    chatBurst: number,
  ) {
    this.chatBucket = new TokenBucket(chatRate, chatBurst);
  }

  /**
   * Sends a pre-encoded frame. Above the soft budget, droppable frames (counters) are dropped
   * and counted; above the hard budget the socket is closed as a slow consumer.
   */
  send(frame: Buffer | string, droppable = false): void {
    if (this.closed) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.budget.hardBytes) {
      this.budget.slowClosed.inc();
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
      return;
    }
    if (droppable && buffered > this.budget.softBytes) {
      this.budget.dropped.inc();
      return;
    }
    this.ws.send(frame, TEXT_FRAME);
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
