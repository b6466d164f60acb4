import { AppError } from '@roomcast/errors';
import {
  ClientFrame,
  PROTOCOL_QUERY_PARAM,
  PROTOCOL_VERSION,
  ServerFrame,
  isReconnectable,
  type AckFrame,
  type ClientFrameInput,
  type DeletedFrame,
  type DoneFrame,
  type ErrorFrame,
  type HostAction,
  type InboxFrame,
  type MentionFrame,
  type RoomStateFrame,
  type VoteTarget,
  type JoinedFrame,
  type LikesFrame,
  MessageFrame,
  type MessagesFrame,
  type ModeratedFrame,
  type ModerationAction,
  type OnlineFrame,
  type RejectedFrame,
  type RoomModeFrame,
  type WelcomeFrame,
} from '@roomcast/contracts';
import { TypedEmitter } from './emitter';
import { DEFAULT_RECONNECT, backoffDelayMs, type ReconnectOptions } from './backoff';
import { RoomcastError, errorFromClose, errorFromFrame } from './roomcast-error';
import { RoomStream, type HistoryPager, type RoomMode, type RoomStreamSink } from './room-stream';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './transport';

type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
export type LeftFrame = ServerFrameOf<'left'>;
export type PongFrame = ServerFrameOf<'pong'>;
export type RefreshedFrame = ServerFrameOf<'refreshed'>;

/** Payload of the `close` event. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the client will try again on its own (after backoff). */
  willReconnect: boolean;
}

/**
 * Why the client is `closed` for good: the close that ended it (a terminal code such as 4503
 * BANNED, a reconnectable one with reconnect off, or `close()`), or the failure of a first
 * connection. `error` is what pending calls were rejected with (`code` BANNED for 4503).
 */
export interface ClientEnd {
  /** The WebSocket close code; undefined when no socket was ever opened (e.g. getToken failed). */
  code: number | undefined;
  reason: string;
  error: RoomcastError;
}

/** Payload of the `reconnect` event, emitted once a reconnect attempt got its `welcome`. */
export interface ReconnectInfo {
  /** Attempts it took, 1 = first retry succeeded. */
  attempts: number;
  welcome: WelcomeFrame;
}

/** Events of RoomcastClient; subscribe with `on(name, listener)`. */
export interface RoomcastEvents {
  welcome: WelcomeFrame;
  joined: JoinedFrame;
  /**
   * An accepted chat message: each seq of a room once, in seq order — live, or recovered after a
   * reconnect or a gap (catch-up from the gateway, older ones paged from `historyUrl`). With
   * protocol v2 each message of a `messages` batch frame arrives as one event.
   */
  message: MessageFrame;
  /**
   * Messages of a room left out of live delivery by the gateway's thinning (a very hot room):
   * not lost — they are in history — just not sent to this viewer. `fromSeq`..`toSeq` is the
   * frame's range they were in.
   */
  thinned: { roomId: string; count: number; fromSeq: number; toSeq: number };
  /** Seqs of a room the client could not recover (no `historyUrl`, or history unreachable). */
  lost: { roomId: string; fromSeq: number; toSeq: number };
  /**
   * A moderator deleted message `seq` of the room: remove it from view. Catch-ups and history
   * carry such messages as tombstones instead: `message` events with `deleted: true` and no text.
   */
  deleted: DeletedFrame;
  /**
   * The room's rules for this user changed (slow mode, a mute on this user, this user's role). The
   * room's whole state after the change is `roomMode(roomId)`.
   */
  'room-mode': RoomModeFrame;
  /**
   * The room's live state of one key changed (or its current value at join): `leaderboard` (top
   * gifters), `questions` (Q&A by votes), `poll`, `pinned`, `product` (with stock). Values are whole.
   */
  'room-state': RoomStateFrame;
  /** Someone mentioned this user, or replied to their message. */
  mention: MentionFrame;
  /** At connect: this user's unread notices from while they were away. */
  inbox: InboxFrame;
  /** One of this user's acked messages will not be delivered (blocked, denied, refused); once per message. */
  rejected: RejectedFrame;
  likes: LikesFrame;
  online: OnlineFrame;
  /** Errors no pending call was waiting for: uncorrelated `error` frames, bad frames, failed rejoins. */
  error: RoomcastError;
  close: CloseInfo;
  reconnect: ReconnectInfo;
  /** Every change of `state`. */
  state: { from: ClientState; to: ClientState };
}

/** Counters since construction. */
export interface ClientStats {
  /** Messages at or below a room's lastSeq, dropped (seen already). */
  duplicatesDropped: number;
  /** Live gaps found (a frame starting past lastSeq + 1); each is filled by asking for the range. */
  gaps: number;
  /** Messages the gateway thinned out of live delivery (v2 `messages` frames' `thinned`). */
  thinned: number;
  /** Messages got back after a reconnect or a gap: from the gateway's catch-up or from history. */
  recovered: number;
  /** Messages given up: missed, and neither caught up nor found in history. */
  lost: number;
  /** `messages` batch frames received (protocol v2). */
  batches: number;
  /** Successful reconnects. */
  reconnects: number;
  /** Server frames that were not valid JSON or failed the schema. */
  invalidFrames: number;
}

/**
 * idle -> connecting -> open -> (drop) reconnecting -> connecting -> open ... -> closed.
 * A first connection that fails before `welcome` goes to closed (not retried).
 */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

interface BaseOptions {
  /**
   * Gateway endpoint(s) without the token, e.g. `wss://host/ws`. With several, each reconnect
   * moves to the next one (a draining gateway sends its viewers elsewhere).
   */
  url: string | readonly string[];
  /** WebSocket constructor; defaults to `globalThis.WebSocket` (browsers, Node >= 22). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect policy; fields default to `{ enabled: true, baseMs: 500, maxMs: 30000 }`. */
  reconnect?: Partial<ReconnectOptions>;
  /** Validate frames in and out with the contracts schemas. Default true; a load tool may turn it off. */
  validateFrames?: boolean;
  /**
   * Protocol version to declare (`protocol` query parameter). Default the newest, 2: a room's
   * messages come in `messages` batch frames (still one `message` event each). 1 = one frame per
   * message, for comparison with old clients.
   */
  protocol?: 1 | 2;
  /** Reject join/leave/chat/ping when no reply arrives in this many ms. Default 10000; 0 = never. */
  requestTimeoutMs?: number;
  /**
   * Send an app-level `ping` when nothing was sent for half the welcome's `heartbeatMs`. Default
   * false: the gateway heartbeats with protocol pings, which browsers and `ws` answer on their own;
   * turn on behind proxies that only count data frames as activity.
   */
  heartbeat?: boolean;
  /**
   * Base URL of the history API (`GET /rooms/:roomId/messages`, the persistence service). Missed
   * messages older than the gateway's catch-up (`joined.missing`) are paged from it, in order,
   * before the room's live messages. Without it they are reported as `lost`.
   */
  historyUrl?: string;
  /**
   * History can lag the gateway by a moment (persistence stores after delivery, or is
   * restarting): a page short of `joined.missing`, or a failed request, is tried again after each
   * of these delays before the rest is reported `lost`. Default [250, 500, 1000, 2000, 4000, 4000]
   * (11.75 s in all: a restarted persistence serves history again after its boot, a few seconds);
   * [] = one attempt. The room's live messages wait meanwhile (they are played in order after it).
   */
  historyRetryDelaysMs?: readonly number[];
  /** `fetch` for history pages; default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
}

/** Either a fixed token or a function fetching a fresh one before every (re)connect. */
export type RoomcastClientOptions = BaseOptions &
  ({ token: string; getToken?: undefined } | { getToken: () => Promise<string>; token?: undefined });

export interface ChatOptions {
  /** Idempotency key, 1–64 chars; resending the same id yields one message. Default: generated. */
  clientMsgId?: string;
  /** Client clock at send, ms since epoch. Default `Date.now()`. */
  sentAt?: number;
  /** The seq of the room's message this one replies to (its author gets a `mention`). */
  replyTo?: number;
  /** Users mentioned: each gets a `mention` event, or an inbox entry while offline. */
  mentions?: string[];
}

export interface JoinOptions {
  /**
   * The newest seq of this room the app already has (e.g. kept across a page reload): the
   * gateway sends what came after it before live messages.
   */
  afterSeq?: number;
}

interface Pending {
  readonly type: 'joined' | 'left' | 'ack' | 'pong' | 'refreshed' | 'moderated' | 'done';
  readonly roomId: string | undefined;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (err: RoomcastError) => void;
  readonly deadline: number;
}

/** One connect() until close(): its promise resolves at the first `welcome`. */
interface Session {
  readonly promise: Promise<WelcomeFrame>;
  readonly resolve: (w: WelcomeFrame) => void;
  readonly reject: (e: RoomcastError) => void;
  /** A welcome was received: drops are reconnected from now on. */
  established: boolean;
}

/** The connection, as one value: every state carries what exists in it and nothing else. */
type Phase =
  | { readonly name: 'idle' }
  | {
      readonly name: 'connecting';
      readonly session: Session;
      readonly attempt: number;
      ws: WebSocketLike | null;
    }
  | {
      readonly name: 'open';
      readonly session: Session;
      readonly ws: WebSocketLike;
      readonly welcome: WelcomeFrame;
    }
  | {
      readonly name: 'reconnecting';
      readonly session: Session;
      readonly attempt: number;
      readonly timer: ReturnType<typeof setTimeout>;
    }
  /** `ws`: a socket closed by close() whose close event is still to be reported. `end`: why it closed. */
  | { readonly name: 'closed'; readonly ws: WebSocketLike | null; readonly end: ClientEnd };

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const PING_FRAME = '{"type":"ping"}';
/** A session is refreshed this long before its token expires (or halfway, if shorter). */
const REFRESH_MARGIN_MS = 30_000;
/** Rejections remembered to drop repeats (the gateway keeps at most 100 per user). */
const REJECTED_REMEMBERED = 1000;
const DEFAULT_HISTORY_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 4000];
/** Largest history page the API serves. */
const HISTORY_PAGE = 500;

let textDecoder: TextDecoder | undefined;
function decodeText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    textDecoder ??= new TextDecoder();
    return textDecoder.decode(data);
  }
  return undefined;
}

function randomPrefix(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  // randomUUID exists only in secure contexts (https, localhost); plain-http pages fall back.
  if (c?.randomUUID) return c.randomUUID().slice(0, 18);
  return Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
}

/**
 * The roomcast WebSocket client: connect, join rooms, chat with acks, likes, presence, with
 * reconnect and resume — after every reconnect each room is rejoined with `afterSeq`, and a live
 * gap is filled the same way, so a room's messages arrive in seq order, each once. Browser-safe:
 * no Node imports.
 */
export class RoomcastClient extends TypedEmitter<RoomcastEvents> {
  private readonly urls: readonly string[];
  private readonly tokenOption: string | undefined;
  private readonly getToken: (() => Promise<string>) | undefined;
  private readonly WebSocketCtor: WebSocketConstructor | undefined;
  private readonly reconnectOptions: ReconnectOptions;
  private readonly validate: boolean;
  private readonly requestTimeoutMs: number;
  private readonly heartbeat: boolean;
  private readonly protocol: number;
  private readonly history: HistoryPager | undefined;
  private readonly historyRetryDelaysMs: readonly number[];

  /** The connection state machine; changed only by `transition`. */
  private phase: Phase = { name: 'idle' };
  private urlIndex = 0;
  private token: string | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private sentSinceBeat = false;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private lastTransportError: unknown;

  private readonly idPrefix = randomPrefix();
  private idCounter = 0;
  /** join/leave/ping by reqId. */
  private readonly byReq = new Map<string, Pending>();
  /** chat by clientMsgId. */
  private readonly byMsg = new Map<string, Pending>();
  private readonly rooms = new Map<string, RoomStream>();
  /** Rejections already emitted (room, clientMsgId), oldest first; see onRejected. */
  private readonly rejectedSeen = new Set<string>();
  private readonly counters: ClientStats = {
    duplicatesDropped: 0,
    gaps: 0,
    thinned: 0,
    recovered: 0,
    lost: 0,
    batches: 0,
    reconnects: 0,
    invalidFrames: 0,
  };
  private readonly sink: RoomStreamSink = {
    message: (f) => this.emit('message', f),
    thinned: (info) => this.emit('thinned', info),
    lost: (info) => this.emit('lost', info),
    counters: this.counters,
  };

  constructor(options: RoomcastClientOptions) {
    super();
    if (options.token === undefined && options.getToken === undefined) {
      throw new AppError('CONFIG_INVALID', 'RoomcastClient needs `token` or `getToken`');
    }
    this.urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new AppError('CONFIG_INVALID', 'RoomcastClient needs at least one url');
    this.tokenOption = options.token;
    this.getToken = options.getToken;
    this.WebSocketCtor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.reconnectOptions = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.validate = options.validateFrames ?? true;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.heartbeat = options.heartbeat ?? false;
    this.protocol = options.protocol ?? PROTOCOL_VERSION;
    const fetchFn = options.fetch ?? (globalThis as { fetch?: typeof globalThis.fetch }).fetch;
    if (options.historyUrl !== undefined && fetchFn !== undefined) {
      this.history = historyPager(options.historyUrl, fetchFn, () => this.token, this.validate);
    }
    this.historyRetryDelaysMs = options.historyRetryDelaysMs ?? DEFAULT_HISTORY_RETRY_DELAYS_MS;
  }

  /** Connection state. */
  get state(): ClientState {
    return this.phase.name;
  }

  /** Why the client is closed (e.g. `{ code: 4503, error: { code: 'BANNED' } }`); null while it is not. */
  get ended(): ClientEnd | null {
    return this.phase.name === 'closed' ? this.phase.end : null;
  }

  /** The current connection's welcome, or null while not connected. */
  get welcome(): WelcomeFrame | null {
    return this.phase.name === 'open' ? this.phase.welcome : null;
  }

  /**
   * Opens the connection and resolves with the server's `welcome`. Rejects with a RoomcastError
   * (`kind: 'closed'`, `closeCode` e.g. 4501) if the socket closes first; the first connection is
   * not retried — reconnects start only after a session was established. Idempotent while open.
   */
  connect(): Promise<WelcomeFrame> {
    const p = this.phase;
    if (p.name === 'connecting' || p.name === 'open' || p.name === 'reconnecting') return p.session.promise;
    let resolve!: (w: WelcomeFrame) => void;
    let reject!: (e: RoomcastError) => void;
    const promise = new Promise<WelcomeFrame>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const session: Session = { promise, resolve, reject, established: false };
    this.transition({ name: 'connecting', session, attempt: 0, ws: null });
    void this.openSocket(session);
    return promise;
  }

  /**
   * Joins a room; resolves with `joined`. The room is rejoined after every reconnect with the
   * newest seq the client has, and the gateway sends what was missed before live messages.
   */
  join(roomId: string, options: JoinOptions = {}): Promise<JoinedFrame> {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = new RoomStream(roomId, this.sink);
      this.rooms.set(roomId, room);
    }
    const afterSeq = options.afterSeq;
    if (afterSeq !== undefined && !room.joined) {
      room.lastSeq = afterSeq;
      room.startRecovery();
    }
    const created = room;
    const promise = this.requestJoin(roomId, afterSeq);
    promise.catch(() => {
      // A join that failed before ever succeeding leaves no state behind (the caller sees the rejection).
      if (this.rooms.get(roomId) === created && !created.joined) this.rooms.delete(roomId);
    });
    return promise;
  }

  /** Leaves a room; forgets its lastSeq and stops rejoining it. Resolves with `left`. */
  leave(roomId: string): Promise<LeftFrame> {
    this.rooms.delete(roomId);
    const reqId = this.nextId();
    return this.request<LeftFrame>(this.byReq, reqId, 'left', roomId, { type: 'leave', roomId, reqId });
  }

  /**
   * Sends a chat message; resolves with `ack` once the gateway has it durably accepted. Rejects with
   * a RoomcastError carrying the server's `code`, `temporary` and the `clientMsgId`. The message
   * itself arrives later as a `message` event (to the sender too) or a `rejected` event.
   */
  chat(roomId: string, text: string, options: ChatOptions = {}): Promise<AckFrame> {
    const clientMsgId = options.clientMsgId ?? this.nextId();
    const frame: ClientFrameInput = {
      type: 'chat',
      roomId,
      clientMsgId,
      text,
      sentAt: options.sentAt ?? Date.now(),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(options.mentions !== undefined ? { mentions: options.mentions } : {}),
    };
    return this.request<AckFrame>(this.byMsg, clientMsgId, 'ack', roomId, frame);
  }

  /**
   * Sends a gift (`count` 1–999, default 1); resolves with `ack` like chat. It arrives as a message
   * of kind `gift` (high priority) whose `data.combo` counts the sender's combo; the room's
   * `leaderboard` arrives as `room-state`. docs/live-room.md "Gifts".
   */
  gift(roomId: string, giftId: string, options: ChatOptions & { count?: number } = {}): Promise<AckFrame> {
    const clientMsgId = options.clientMsgId ?? this.nextId();
    const frame: ClientFrameInput = {
      type: 'gift',
      roomId,
      clientMsgId,
      giftId,
      count: options.count ?? 1,
      sentAt: options.sentAt ?? Date.now(),
    };
    return this.request<AckFrame>(this.byMsg, clientMsgId, 'ack', roomId, frame);
  }

  /** Asks a question in the room's Q&A; resolves with `ack` like chat (it arrives as a `message` of kind `question`). */
  ask(
    roomId: string,
    text: string,
    options: Omit<ChatOptions, 'replyTo' | 'mentions'> = {},
  ): Promise<AckFrame> {
    const clientMsgId = options.clientMsgId ?? this.nextId();
    const frame: ClientFrameInput = {
      type: 'ask',
      roomId,
      clientMsgId,
      text,
      sentAt: options.sentAt ?? Date.now(),
    };
    return this.request<AckFrame>(this.byMsg, clientMsgId, 'ack', roomId, frame);
  }

  /** Upvotes a question or votes in a poll (once per user: a repeat resolves with `{counted: false}`). */
  vote(roomId: string, target: VoteTarget): Promise<DoneFrame> {
    const reqId = this.nextId();
    return this.request<DoneFrame>(this.byReq, reqId, 'done', roomId, {
      type: 'vote',
      roomId,
      reqId,
      target,
    });
  }

  /** Buys from the flash sale of the product on show; resolves `{remaining}` or rejects SOLD_OUT. */
  buy(roomId: string, productId: string, quantity = 1): Promise<DoneFrame> {
    const reqId = this.nextId();
    return this.request<DoneFrame>(this.byReq, reqId, 'done', roomId, {
      type: 'buy',
      roomId,
      reqId,
      productId,
      quantity,
    });
  }

  /** A host action (poll, pinned message, product, stock, Q&A marks); rejects FORBIDDEN below the role it needs. */
  host(roomId: string, action: HostAction): Promise<DoneFrame> {
    const reqId = this.nextId();
    return this.request<DoneFrame>(this.byReq, reqId, 'done', roomId, {
      type: 'host',
      roomId,
      reqId,
      action,
    });
  }

  /** Sends likes (1–100, default 1). No reply; totals arrive as `likes` events. False if not sent. */
  like(roomId: string, count = 1): boolean {
    const err = this.send({ type: 'like', roomId, count });
    if (err !== null && err.kind !== 'closed') this.emit('error', err);
    return err === null;
  }

  /**
   * A moderation action on a room (delete a message, mute, ban, slow mode, grant a role),
   * authorised by this user's role there. Resolves with `moderated {actionId}` once it took
   * effect; rejects with a RoomcastError carrying the server's code — FORBIDDEN (role too low),
   * BAD_REQUEST, RATE_LIMITED, ... — or `kind: 'local'` when the action fails the schema.
   */
  moderate(roomId: string, action: ModerationAction): Promise<ModeratedFrame> {
    const reqId = this.nextId();
    return this.request<ModeratedFrame>(this.byReq, reqId, 'moderated', roomId, {
      type: 'moderate',
      roomId,
      reqId,
      action,
    });
  }

  /**
   * The room's rules as this user knows them — role (`viewer` when none), `slowModeMs` (0 = off),
   * `mutedUntil` (ms since epoch, 0 = not muted) — from `joined` and later `room-mode` frames.
   * Undefined for a room not joined.
   */
  roomMode(roomId: string): RoomMode | undefined {
    const room = this.rooms.get(roomId);
    return room?.joined ? { ...room.mode } : undefined;
  }

  /** Round trip to the gateway; resolves with `pong` (its `serverTime`). */
  ping(): Promise<PongFrame> {
    const reqId = this.nextId();
    return this.request<PongFrame>(this.byReq, reqId, 'pong', undefined, { type: 'ping', reqId });
  }

  /**
   * Extends the session with a new token (default: one from `getToken`) before the current one
   * expires; resolves with `refreshed {expiresAt}`. With `getToken` the client does this by itself
   * shortly before `welcome.expiresAt`.
   */
  async refresh(token?: string): Promise<RefreshedFrame> {
    const fresh = token ?? (this.getToken !== undefined ? await this.getToken() : this.tokenOption);
    if (fresh === undefined)
      throw new RoomcastError('CONFIG_INVALID', 'refresh needs a token or getToken', {
        kind: 'local',
        retriable: false,
      });
    this.token = fresh;
    const reqId = this.nextId();
    return this.request<RefreshedFrame>(this.byReq, reqId, 'refreshed', undefined, {
      type: 'refresh',
      token: fresh,
      reqId,
    });
  }

  /** Closes for good (no reconnect), rejecting pending calls. Default code 1000. */
  close(code = 1000, reason = ''): void {
    const p = this.phase;
    const ws = p.name === 'connecting' || p.name === 'open' ? p.ws : null;
    const err = errorFromClose(code, reason || 'closed by client');
    // The socket's own close event still arrives and is reported as `close` with willReconnect false.
    this.transition({ name: 'closed', ws, end: { code, reason, error: err } });
    if (p.name === 'connecting' || p.name === 'open' || p.name === 'reconnecting') p.session.reject(err);
    this.rejectAll(err);
    this.rooms.clear();
    ws?.close(code, reason);
  }

  /** Seq of the newest message of `roomId` this client has (or the `joined` lastSeq); 0 if unknown. */
  lastSeq(roomId: string): number {
    return this.rooms.get(roomId)?.lastSeq ?? 0;
  }

  /**
   * A message of `roomId` was consumed outside the client (a raw frame tap in front of the socket,
   * as the load tool has, reads message frames and never passes them on): `lastSeq` moves to `seq`
   * if higher, so the next resume asks only for what came after it. Nothing is emitted or counted;
   * a room this client is not in (or joining) is ignored.
   */
  advance(roomId: string, seq: number): void {
    const room = this.rooms.get(roomId);
    if (room !== undefined && seq > room.lastSeq) room.lastSeq = seq;
  }

  /** Rooms currently joined (and rejoined on reconnect). */
  joinedRooms(): string[] {
    const out: string[] = [];
    for (const [roomId, room] of this.rooms) if (room.joined) out.push(roomId);
    return out;
  }

  /** A snapshot of the counters. */
  stats(): ClientStats {
    return { ...this.counters };
  }

  // ------------------------------------------------------------------ connection

  /** The only place the connection state changes; emits `state`. */
  private transition(next: Phase): void {
    const prev = this.phase;
    if (prev.name === 'reconnecting') clearTimeout(prev.timer);
    if (prev.name === 'open') {
      this.stopHeartbeat();
      if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    this.phase = next;
    if (prev.name !== next.name) this.emit('state', { from: prev.name, to: next.name });
  }

  /** The socket of the current phase (also a socket closed by close() that has not reported yet). */
  private currentSocket(): WebSocketLike | null {
    const p = this.phase;
    return p.name === 'connecting' || p.name === 'open' || p.name === 'closed' ? p.ws : null;
  }

  private async openSocket(session: Session): Promise<void> {
    let token: string;
    try {
      token = this.tokenOption ?? (await (this.getToken as () => Promise<string>)());
    } catch (err) {
      this.onOpenFailed(
        session,
        new RoomcastError('UNAUTHORIZED', 'getToken failed', { kind: 'local', cause: err, retriable: true }),
      );
      return;
    }
    const p = this.phase;
    if (p.name !== 'connecting' || p.session !== session) return;
    const Ctor = this.WebSocketCtor;
    if (Ctor === undefined) {
      this.onOpenFailed(
        session,
        new RoomcastError('CONFIG_INVALID', 'no WebSocket implementation: pass options.WebSocket', {
          kind: 'local',
          retriable: false,
        }),
      );
      return;
    }
    const url = this.urls[this.urlIndex % this.urls.length] as string;
    const sep = url.includes('?') ? '&' : '?';
    let ws: WebSocketLike;
    try {
      ws = new Ctor(
        `${url}${sep}token=${encodeURIComponent(token)}&${PROTOCOL_QUERY_PARAM}=${this.protocol}`,
      );
    } catch (err) {
      // Bad URL or scheme: not something a retry fixes.
      this.onOpenFailed(
        session,
        new RoomcastError('CONFIG_INVALID', 'could not open WebSocket', {
          kind: 'local',
          cause: err,
          retriable: false,
        }),
      );
      return;
    }
    this.token = token;
    p.ws = ws;
    this.lastTransportError = undefined;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      if (this.currentSocket() === ws) this.onData(ev.data);
    };
    ws.onerror = (ev) => {
      // Browsers and ws always follow an error with a close; keep it as the close error's cause.
      if (this.currentSocket() === ws) this.lastTransportError = ev;
    };
    ws.onclose = (ev) => {
      if (this.currentSocket() === ws) this.onSocketClose(ws, ev.code, ev.reason);
    };
  }

  /** A connection attempt failed before a socket existed (token, constructor). */
  private onOpenFailed(session: Session, err: RoomcastError): void {
    const p = this.phase;
    if (p.name !== 'connecting' || p.session !== session) return;
    const end: ClientEnd = { code: undefined, reason: err.message, error: err };
    if (!session.established) {
      this.transition({ name: 'closed', ws: null, end });
      session.reject(err);
      return;
    }
    this.emit('error', err);
    if (err.retriable) this.scheduleReconnect(session, p.attempt);
    else this.transition({ name: 'closed', ws: null, end });
  }

  private onSocketClose(ws: WebSocketLike, code: number, reason: string): void {
    const p = this.phase;
    const err = errorFromClose(code, reason, this.lastTransportError);
    this.lastTransportError = undefined;
    if (p.name === 'closed') {
      // close() was called: report the socket's end, nothing else.
      if (p.ws === ws) this.transition({ name: 'closed', ws: null, end: p.end });
      this.emit('close', { code, reason, willReconnect: false });
      return;
    }
    if (p.name !== 'connecting' && p.name !== 'open') return;
    this.rejectAll(err);
    const { session } = p;
    const attempt = p.name === 'connecting' ? p.attempt : 0;
    const end: ClientEnd = { code, reason, error: err };
    if (!session.established) {
      this.transition({ name: 'closed', ws: null, end });
      session.reject(err);
      this.emit('close', { code, reason, willReconnect: false });
      return;
    }
    const willReconnect = this.reconnectOptions.enabled && isReconnectable(code);
    if (!willReconnect) this.transition({ name: 'closed', ws: null, end });
    this.emit('close', { code, reason, willReconnect });
    if (willReconnect) this.scheduleReconnect(session, attempt);
  }

  /** Waits the backoff of `attempt`, then tries the next url. */
  private scheduleReconnect(session: Session, attempt: number): void {
    const { baseMs, maxMs } = this.reconnectOptions;
    this.urlIndex++;
    const timer = setTimeout(
      () => {
        const p = this.phase;
        if (p.name !== 'reconnecting' || p.session !== session) return;
        this.transition({ name: 'connecting', session, attempt: attempt + 1, ws: null });
        void this.openSocket(session);
      },
      backoffDelayMs(attempt, baseMs, maxMs),
    );
    this.transition({ name: 'reconnecting', session, attempt, timer });
  }

  private onWelcome(frame: WelcomeFrame): void {
    const p = this.phase;
    if (p.name !== 'connecting' || p.ws === null) return;
    const { session, attempt } = p;
    const reconnected = session.established;
    this.transition({ name: 'open', session, ws: p.ws, welcome: frame });
    session.established = true;
    this.startHeartbeat(frame.heartbeatMs);
    if (frame.expiresAt !== undefined) this.scheduleRefresh(frame.expiresAt);
    session.resolve(frame);
    this.emit('welcome', frame);
    if (!reconnected) return;
    this.counters.reconnects++;
    this.emit('reconnect', { attempts: attempt, welcome: frame });
    // Resume every room from the newest seq we have; its frames wait until `joined` says what came.
    for (const room of this.rooms.values()) if (room.joined) this.resume(room);
  }

  /** Rejoins `room` with afterSeq = its lastSeq; used after a reconnect and to fill a live gap. */
  private resume(room: RoomStream): void {
    room.startRecovery();
    this.requestJoin(room.roomId, room.lastSeq).then(undefined, (err: RoomcastError) => {
      if (err.kind === 'closed' || this.rooms.get(room.roomId) !== room) return; // the next reconnect resumes
      if (err.temporary || err.kind === 'timeout') {
        const { baseMs, maxMs } = this.reconnectOptions;
        setTimeout(
          () => {
            if (this.rooms.get(room.roomId) === room && this.phase.name === 'open') this.resume(room);
          },
          backoffDelayMs(1, baseMs, maxMs),
        );
        return;
      }
      this.rooms.delete(room.roomId);
      room.abandonRecovery();
      this.emit('error', err);
    });
  }

  private requestJoin(roomId: string, afterSeq: number | undefined): Promise<JoinedFrame> {
    const reqId = this.nextId();
    const frame: ClientFrameInput = {
      type: 'join',
      roomId,
      reqId,
      ...(afterSeq !== undefined ? { afterSeq } : {}),
    };
    return this.request<JoinedFrame>(this.byReq, reqId, 'joined', roomId, frame);
  }

  /**
   * With `getToken`, refreshes the session before `expiresAt` (the gateway closes it with 4502
   * then): 30 s before, or halfway for shorter sessions. A failed refresh is reported as `error`;
   * the close that follows at expiry reconnects only if the app handles 4502.
   */
  private scheduleRefresh(expiresAt: number): void {
    if (this.getToken === undefined) return;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    const left = expiresAt - Date.now();
    const delay = Math.max(0, Math.min(left - REFRESH_MARGIN_MS, left / 2));
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      if (this.phase.name !== 'open') return;
      this.refresh().catch((err: unknown) => {
        if (err instanceof RoomcastError && err.kind !== 'closed') this.emit('error', err);
      });
    }, delay);
  }

  private startHeartbeat(heartbeatMs: number): void {
    this.stopHeartbeat();
    if (!this.heartbeat || !(heartbeatMs > 0)) return;
    this.sentSinceBeat = false;
    this.heartbeatTimer = setInterval(() => {
      const ws = this.phase.name === 'open' ? this.phase.ws : null;
      if (!this.sentSinceBeat && ws !== null && ws.readyState === WS_OPEN) ws.send(PING_FRAME);
      this.sentSinceBeat = false;
    }, heartbeatMs / 2);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
  }

  // ------------------------------------------------------------------ frames in

  private onData(data: unknown): void {
    const text = decodeText(data);
    let raw: unknown;
    try {
      raw = text === undefined ? undefined : JSON.parse(text);
    } catch (err) {
      this.onInvalidFrame('not valid JSON', err);
      return;
    }
    let frame: ServerFrame;
    if (this.validate) {
      const parsed = ServerFrame.safeParse(raw);
      if (!parsed.success) {
        this.onInvalidFrame(parsed.error.issues[0]?.message ?? 'invalid server frame', parsed.error);
        return;
      }
      frame = parsed.data;
    } else {
      if (typeof raw !== 'object' || raw === null) {
        this.onInvalidFrame('not a JSON object', undefined);
        return;
      }
      frame = raw as ServerFrame;
    }
    this.onFrame(frame);
  }

  private onInvalidFrame(message: string, cause: unknown): void {
    this.counters.invalidFrames++;
    this.emit(
      'error',
      new RoomcastError('BAD_FRAME', `bad server frame: ${message}`, { kind: 'protocol', cause }),
    );
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message':
      case 'messages':
        this.onSeqFrame(frame);
        return;
      case 'likes':
        this.emit('likes', frame);
        return;
      case 'online':
        this.emit('online', frame);
        return;
      case 'ack':
        this.settle(this.byMsg, frame.clientMsgId, frame);
        return;
      case 'rejected':
        this.onRejected(frame);
        return;
      case 'joined':
        this.onJoined(frame);
        return;
      case 'left':
        this.settle(this.byReq, frame.reqId ?? this.findPending('left', frame.roomId), frame);
        return;
      case 'pong':
        this.settle(this.byReq, frame.reqId ?? this.findPending('pong', undefined), frame);
        return;
      case 'refreshed':
        this.settle(this.byReq, frame.reqId ?? this.findPending('refreshed', undefined), frame);
        this.scheduleRefresh(frame.expiresAt);
        return;
      case 'error':
        this.onErrorFrame(frame);
        return;
      case 'moderated':
        this.settle(this.byReq, frame.reqId ?? this.findPending('moderated', frame.roomId), frame);
        return;
      case 'deleted':
        this.emit('deleted', frame);
        return;
      case 'room-mode':
        this.rooms.get(frame.roomId)?.applyMode(frame);
        this.emit('room-mode', frame);
        return;
      case 'done':
        this.settle(this.byReq, frame.reqId, frame);
        return;
      case 'room-state':
        this.emit('room-state', frame);
        return;
      case 'mention':
        this.emit('mention', frame);
        return;
      case 'inbox':
        this.emit('inbox', frame);
        return;
      case 'welcome':
        this.onWelcome(frame);
        return;
    }
  }

  /** A message or batch frame: in order through its room (a gap starts filling it). */
  private onSeqFrame(frame: MessageFrame | MessagesFrame): void {
    if (frame.type === 'messages') this.counters.batches++;
    const room = this.rooms.get(frame.roomId);
    if (room === undefined) {
      // Not joined here (e.g. a frame still in flight after leave): pass it through as is.
      if (frame.type === 'message') this.emit('message', frame);
      else
        for (const m of frame.messages) this.emit('message', { type: 'message', roomId: frame.roomId, ...m });
      return;
    }
    if (room.onFrame(frame) === 'gap') this.resume(room);
  }

  /**
   * A rejection, once per chat: the gateway also sends the rejections kept for this user at every
   * connect (ones routed while it was between gateways), so a repeat is dropped by room and clientMsgId.
   */
  private onRejected(frame: RejectedFrame): void {
    const key = `${frame.roomId}\n${frame.clientMsgId}`;
    if (this.rejectedSeen.has(key)) return;
    this.rejectedSeen.add(key);
    if (this.rejectedSeen.size > REJECTED_REMEMBERED) {
      const oldest = this.rejectedSeen.values().next().value;
      if (oldest !== undefined) this.rejectedSeen.delete(oldest);
    }
    this.emit('rejected', frame);
  }

  private onJoined(frame: JoinedFrame): void {
    const room = this.rooms.get(frame.roomId);
    const key = frame.reqId ?? this.findPending('joined', frame.roomId);
    if (room !== undefined) {
      room.mode = {
        role: frame.role ?? 'viewer',
        slowModeMs: frame.slowModeMs ?? 0,
        mutedUntil: frame.mutedUntil ?? 0,
      };
      if (room.recovering) {
        void room.finishRecovery(frame, this.history, this.historyRetryDelaysMs).then(() => {
          this.settle(this.byReq, key, frame);
          this.emit('joined', frame);
        });
        return;
      }
      if (frame.lastSeq > room.lastSeq) room.lastSeq = frame.lastSeq;
      room.joined = true;
    }
    this.settle(this.byReq, key, frame);
    this.emit('joined', frame);
  }

  private onErrorFrame(frame: ErrorFrame): void {
    let pending: Pending | undefined;
    let map: Map<string, Pending> | undefined;
    let key: string | undefined;
    if (frame.clientMsgId !== undefined && this.byMsg.has(frame.clientMsgId)) {
      map = this.byMsg;
      key = frame.clientMsgId;
    } else if (frame.reqId !== undefined && this.byReq.has(frame.reqId)) {
      map = this.byReq;
      key = frame.reqId;
    }
    if (map !== undefined && key !== undefined) {
      pending = map.get(key);
      map.delete(key);
    }
    const err = errorFromFrame(frame);
    if (pending !== undefined) pending.reject(err);
    else this.emit('error', err);
  }

  // ------------------------------------------------------------------ requests

  private nextId(): string {
    return `${this.idPrefix}-${(++this.idCounter).toString(36)}`;
  }

  /** Sends a frame, or returns why it could not be sent. */
  private send(frame: ClientFrameInput): RoomcastError | null {
    const ws = this.phase.name === 'open' ? this.phase.ws : null;
    if (ws === null || ws.readyState !== WS_OPEN) return errorFromClose(undefined, '');
    if (this.validate) {
      const parsed = ClientFrame.safeParse(frame);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        return new RoomcastError('BAD_FRAME', `${where}${issue?.message ?? 'invalid frame'}`, {
          kind: 'local',
          cause: parsed.error,
          clientMsgId: frame.type === 'chat' ? frame.clientMsgId : undefined,
        });
      }
    }
    ws.send(JSON.stringify(frame));
    this.sentSinceBeat = true;
    return null;
  }

  private request<F extends ServerFrame>(
    map: Map<string, Pending>,
    key: string,
    type: Pending['type'],
    roomId: string | undefined,
    frame: ClientFrameInput,
  ): Promise<F> {
    if (map.has(key)) {
      return Promise.reject(
        new RoomcastError('BAD_REQUEST', `a request with id ${key} is already pending`, {
          kind: 'local',
          clientMsgId: key,
        }),
      );
    }
    const err = this.send(frame);
    if (err !== null) return Promise.reject(err);
    return new Promise<F>((resolve, reject) => {
      const deadline =
        this.requestTimeoutMs > 0 ? Date.now() + this.requestTimeoutMs : Number.POSITIVE_INFINITY;
      map.set(key, { type, roomId, resolve: resolve as (f: ServerFrame) => void, reject, deadline });
      this.ensureSweep();
    });
  }

  private settle(map: Map<string, Pending>, key: string | undefined, frame: ServerFrame): void {
    if (key === undefined) return;
    const pending = map.get(key);
    if (pending === undefined || pending.type !== frame.type) return;
    map.delete(key);
    pending.resolve(frame);
  }

  /** For a gateway that does not echo reqId: the oldest pending request of that type (and room). */
  private findPending(type: Pending['type'], roomId: string | undefined): string | undefined {
    for (const [key, pending] of this.byReq) {
      if (pending.type === type && (roomId === undefined || pending.roomId === roomId)) return key;
    }
    return undefined;
  }

  private rejectAll(err: RoomcastError): void {
    for (const map of [this.byReq, this.byMsg]) {
      if (map.size === 0) continue;
      const pendings = [...map.entries()];
      map.clear();
      for (const [key, pending] of pendings) {
        pending.reject(
          map === this.byMsg
            ? new RoomcastError(err.code, err.message, {
                kind: err.kind,
                closeCode: err.closeCode,
                clientMsgId: key,
                retriable: err.retriable,
                temporary: err.temporary,
                cause: err.cause,
              })
            : err,
        );
      }
    }
    this.stopSweep();
  }

  // One timer per client sweeps deadlines instead of one setTimeout per request: a load tool has
  // thousands of clients with several chats in flight each.
  private ensureSweep(): void {
    if (this.sweepTimer !== null || this.requestTimeoutMs <= 0) return;
    this.sweepTimer = setInterval(
      () => this.sweep(),
      Math.max(10, Math.min(1000, this.requestTimeoutMs / 4)),
    );
  }

  private stopSweep(): void {
    if (this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const map of [this.byReq, this.byMsg]) {
      for (const [key, pending] of map) {
        if (pending.deadline > now) continue;
        map.delete(key);
        pending.reject(
          new RoomcastError('INTERNAL', `no ${pending.type} within ${this.requestTimeoutMs} ms`, {
            kind: 'timeout',
            retriable: true,
            temporary: true,
            clientMsgId: map === this.byMsg ? key : undefined,
            reqId: map === this.byReq ? key : undefined,
          }),
        );
      }
    }
    if (this.byReq.size === 0 && this.byMsg.size === 0) this.stopSweep();
  }
}

/**
 * Pages `GET {historyUrl}/rooms/:roomId/messages?afterSeq=&limit=` from fromSeq to toSeq (the
 * bearer token of the connection attached), as `message` frames in seq order.
 */
function historyPager(
  historyUrl: string,
  fetchFn: typeof globalThis.fetch,
  token: () => string | undefined,
  validate: boolean,
): HistoryPager {
  const base = historyUrl.replace(/\/+$/, '');
  return async (roomId, fromSeq, toSeq) => {
    const out: MessageFrame[] = [];
    let afterSeq = fromSeq - 1;
    while (afterSeq < toSeq) {
      const limit = Math.min(HISTORY_PAGE, toSeq - afterSeq);
      const t = token();
      const res = await fetchFn(
        `${base}/rooms/${encodeURIComponent(roomId)}/messages?afterSeq=${afterSeq}&limit=${limit}`,
        t === undefined ? {} : { headers: { authorization: `Bearer ${t}` } },
      );
      if (!res.ok)
        throw new RoomcastError('STORE_UNAVAILABLE', `history answered ${res.status}`, {
          kind: 'server',
          retriable: true,
        });
      const body = (await res.json()) as { messages?: unknown };
      const page = Array.isArray(body.messages) ? body.messages : [];
      for (const raw of page) {
        const frame = { ...(raw as object), type: 'message', roomId } as MessageFrame;
        if (!validate) {
          out.push(frame);
          continue;
        }
        const parsed = MessageFrame.safeParse(frame);
        if (parsed.success) out.push(parsed.data);
      }
      const lastOfPage = out[out.length - 1]?.seq;
      if (page.length === 0 || lastOfPage === undefined || lastOfPage <= afterSeq) break;
      afterSeq = lastOfPage;
    }
    return out;
  };
}
