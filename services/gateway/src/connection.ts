import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CLOSE_CODES, type ProtocolVersion, type RolesClaim, type RoomRole } from '@roomcast/contracts';
import type { Counter, MetricsRegistry } from '@roomcast/service-kit';
import { TokenBucket } from '@roomcast/service-kit';

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

/** A message as a socket gets it: its seq and its encodeItem() JSON. */
export interface HeldMessage {
  seq: number;
  item: string;
}

/**
 * A socket's catch-up in one room (catchup.ts). While `held` is an array the room's live
 * messages queue there; after the catch-up, live messages up to `through` (already sent by the
 * catch-up) are left out for this socket until the room's deliveries pass it.
 */
export interface RoomHold {
  held: HeldMessage[] | null;
  through: number;
}

/**
 * A token's `exp` (seconds since epoch, a fraction allowed: RFC 7519 NumericDate) as the whole
 * milliseconds `welcome.expiresAt` and `refreshed.expiresAt` state (safe integers by their schemas;
 * the protocol fuzz found `1796314506123.4` there, which every validating client refused).
 */
export function expiryMs(exp: number): number {
  return Math.min(Math.floor(exp * 1000), Number.MAX_SAFE_INTEGER);
}

/** One WebSocket session: a user on this gateway, in up to N rooms. */
export class Connection {
  readonly rooms = new Set<string>();
  alive = true;
  closed = false;
  /** When the session's token expires, ms since epoch (a `refresh` frame moves it). */
  expiresAt = Number.POSITIVE_INFINITY;
  /** The `roles` claim of the session's token (a `refresh` replaces it). */
  rolesClaim: RolesClaim | undefined = undefined;
  /** The user's role in each joined room where it is above viewer; null = viewer everywhere (most sockets). */
  private roomRoles: Map<string, RoomRole> | null = null;
  /** Made on the first chat: most connections only watch. */
  private chatBucket: TokenBucket | undefined;
  /** Rooms whose live messages wait for this socket's catch-up to finish; null = none (the usual case). */
  holds: Map<string, RoomHold> | null = null;
  /** Made at the first catch-up. */
  private catchupBucket: TokenBucket | undefined;
  /** Joins and leaves received and not done yet (each takes effect in its turn). */
  private roomChanges = 0;
  /** Chats waiting for their turn behind one of them (see `roomsUnsettled`). */
  private chatsWaiting = 0;
  /** Steps of `inOrder` not finished yet, and the promise the next one waits for. */
  private pendingSteps = 0;
  private tail: Promise<void> | undefined;

  /** The user's role in a room this connection joined (viewer when none was resolved). */
  roleIn(roomId: string): RoomRole {
    return this.roomRoles?.get(roomId) ?? 'viewer';
  }

  /** Records the role resolved at join (or changed by a `set-role`); viewer clears it. */
  setRole(roomId: string, role: RoomRole): void {
    if (role === 'viewer') this.roomRoles?.delete(roomId);
    else (this.roomRoles ??= new Map()).set(roomId, role);
  }

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

  /** Takes one catch-up token (a join with afterSeq); false = over the rate. */
  takeCatchupToken(ratePerSec: number, burst: number): boolean {
    this.catchupBucket ??= new TokenBucket(ratePerSec, burst);
    return this.catchupBucket.take();
  }

  /**
   * Runs `step` once every earlier step of this connection has finished, so replies leave in the
   * order their frames came (a `join` then a `leave` get `joined`, then `left`) even when one of
   * them waits on Redis or Kafka. A step never rejects (handlers turn failures into error frames).
   * With nothing pending, a synchronous step runs at once.
   */
  inOrder(step: () => void | Promise<void>): void {
    if (this.pendingSteps === 0) {
      const r = step();
      if (r !== undefined) this.track(r);
      return;
    }
    this.track((this.tail as Promise<void>).then(step));
  }

  /** Counts a join or leave received (+1) or done (-1). */
  roomChange(delta: 1 | -1): void {
    this.roomChanges += delta;
  }

  /** Counts a chat that waits for its turn (+1) or got it (-1). */
  chatWaiting(delta: 1 | -1): void {
    this.chatsWaiting += delta;
  }

  /**
   * True while the rooms this connection is in depend on a join or leave not done yet, or an
   * earlier chat still waits for one: a chat or like must then be judged in its turn (a chat behind
   * a join the room cap refuses is not in the room), and a chat keeps its place behind earlier ones.
   */
  roomsUnsettled(): boolean {
    return this.roomChanges > 0 || this.chatsWaiting > 0;
  }

  /** Resolves when every step queued so far has finished (drain: acks in flight go out first). */
  settled(): Promise<void> {
    return this.tail ?? Promise.resolve();
  }

  private track(p: Promise<void>): void {
    this.pendingSteps++;
    const done = (): void => {
      if (--this.pendingSteps === 0) this.tail = undefined;
    };
    this.tail = p.then(done, done);
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
