import { AppError } from '@roomcast/errors';
import {
  ClientFrame,
  PROTOCOL_QUERY_PARAM,
  PROTOCOL_VERSION,
  ServerFrame,
  isReconnectable,
  type AckFrame,
  type ClientFrameInput,
  type ErrorFrame,
  type JoinedFrame,
  type LikesFrame,
  type MessageFrame,
  type MessagesFrame,
  type OnlineFrame,
  type RejectedFrame,
  type WelcomeFrame,
} from '@roomcast/contracts';
import { TypedEmitter } from './emitter';
import { DEFAULT_RECONNECT, backoffDelayMs, type ReconnectOptions } from './backoff';
import { RoomcastError, errorFromClose, errorFromFrame } from './roomcast-error';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './transport';

type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
export type LeftFrame = ServerFrameOf<'left'>;
export type PongFrame = ServerFrameOf<'pong'>;

/** Payload of the `close` event. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the client will try again on its own (after backoff). */
  willReconnect: boolean;
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
   * An accepted chat message; duplicates (seq <= lastSeq) are dropped before this. With protocol
   * v2 each message of a `messages` batch frame arrives as one event, in seq order.
   */
  message: MessageFrame;
  /**
   * Messages of a room left out of live delivery by the gateway's thinning (a very hot room):
   * not lost — they are in history — just not sent to this viewer. `fromSeq`..`toSeq` is the
   * frame's range they were in.
   */
  thinned: { roomId: string; count: number; fromSeq: number; toSeq: number };
  /** The filter blocked one of this user's messages. */
  rejected: RejectedFrame;
  likes: LikesFrame;
  online: OnlineFrame;
  /** Errors no pending call was waiting for: uncorrelated `error` frames, bad frames, failed rejoins. */
  error: RoomcastError;
  close: CloseInfo;
  reconnect: ReconnectInfo;
}

/** Counters since construction. */
export interface ClientStats {
  /** `message` frames with seq <= lastSeq, dropped. */
  duplicatesDropped: number;
  /** Times a seq skipped ahead (seq > lastSeq + 1, or a rejoin reported a higher lastSeq). */
  gaps: number;
  /** Messages the gateway thinned out of live delivery (v2 `messages` frames' `thinned`). */
  thinned: number;
  /** `messages` batch frames received (protocol v2). */
  batches: number;
  /** Successful reconnects. */
  reconnects: number;
  /** Server frames that were not valid JSON or failed the schema. */
  invalidFrames: number;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

interface BaseOptions {
  /** Gateway endpoint without the token, e.g. `wss://host/ws`. */
  url: string;
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
}

/** Either a fixed token or a function fetching a fresh one before every (re)connect. */
export type RoomcastClientOptions = BaseOptions &
  ({ token: string; getToken?: undefined } | { getToken: () => Promise<string>; token?: undefined });

export interface ChatOptions {
  /** Idempotency key, 1–64 chars; resending the same id yields one message. Default: generated. */
  clientMsgId?: string;
  /** Client clock at send, ms since epoch. Default `Date.now()`. */
  sentAt?: number;
}

interface Pending {
  readonly type: 'joined' | 'left' | 'ack' | 'pong';
  readonly roomId: string | undefined;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (err: RoomcastError) => void;
  readonly deadline: number;
}

interface RoomState {
  /** Joined (or being rejoined after a reconnect): rejoin this room on reconnect. */
  joined: boolean;
  lastSeq: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const PING_FRAME = '{"type":"ping"}';

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
 * reconnect + rejoin and per-room seq tracking. Browser-safe: no Node imports.
 */
export class RoomcastClient extends TypedEmitter<RoomcastEvents> {
  private readonly url: string;
  private readonly tokenOption: string | undefined;
  private readonly getToken: (() => Promise<string>) | undefined;
  private readonly WebSocketCtor: WebSocketConstructor | undefined;
  private readonly reconnectOptions: ReconnectOptions;
  private readonly validate: boolean;
  private readonly requestTimeoutMs: number;
  private readonly heartbeat: boolean;
  private readonly protocol: number;

  private ws: WebSocketLike | null = null;
  private welcomed = false;
  /** A welcome was received since the last connect()/close(): drops are reconnected. */
  private sessionEstablished = false;
  private userClosed = false;
  private stateValue: ClientState = 'idle';
  private connectPromise: Promise<WelcomeFrame> | null = null;
  private connectWaiter: { resolve: (w: WelcomeFrame) => void; reject: (e: RoomcastError) => void } | null =
    null;
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private sentSinceBeat = false;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private lastTransportError: unknown;
  private welcomeFrame: WelcomeFrame | null = null;

  private readonly idPrefix = randomPrefix();
  private idCounter = 0;
  /** join/leave/ping by reqId. */
  private readonly byReq = new Map<string, Pending>();
  /** chat by clientMsgId. */
  private readonly byMsg = new Map<string, Pending>();
  private readonly rooms = new Map<string, RoomState>();
  private readonly counters: ClientStats = {
    duplicatesDropped: 0,
    gaps: 0,
    thinned: 0,
    batches: 0,
    reconnects: 0,
    invalidFrames: 0,
  };

  constructor(options: RoomcastClientOptions) {
    super();
    if (options.token === undefined && options.getToken === undefined) {
      throw new AppError('CONFIG_INVALID', 'RoomcastClient needs `token` or `getToken`');
    }
    this.url = options.url;
    this.tokenOption = options.token;
    this.getToken = options.getToken;
    this.WebSocketCtor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.reconnectOptions = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.validate = options.validateFrames ?? true;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.heartbeat = options.heartbeat ?? false;
    this.protocol = options.protocol ?? PROTOCOL_VERSION;
  }

  /** Connection state. */
  get state(): ClientState {
    return this.stateValue;
  }

  /** The current connection's welcome, or null while not connected. */
  get welcome(): WelcomeFrame | null {
    return this.welcomed ? this.welcomeFrame : null;
  }

  /**
   * Opens the connection and resolves with the server's `welcome`. Rejects with a RoomcastError
   * (`kind: 'closed'`, `closeCode` e.g. 4501) if the socket closes first; the first connection is
   * not retried — reconnects start only after a session was established. Idempotent while open.
   */
  connect(): Promise<WelcomeFrame> {
    if (this.connectPromise !== null) return this.connectPromise;
    this.userClosed = false;
    this.stateValue = 'connecting';
    this.connectPromise = new Promise<WelcomeFrame>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
    });
    void this.openSocket();
    return this.connectPromise;
  }

  /** Joins a room; resolves with `joined` (its `lastSeq`). The room is rejoined after reconnects. */
  join(roomId: string): Promise<JoinedFrame> {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = { joined: false, lastSeq: 0 };
      this.rooms.set(roomId, room);
    }
    const reqId = this.nextId();
    const promise = this.request<JoinedFrame>(this.byReq, reqId, 'joined', roomId, {
      type: 'join',
      roomId,
      reqId,
    });
    promise.catch(() => {
      // A join that failed before ever succeeding leaves no state behind (the caller sees the rejection).
      if (this.rooms.get(roomId)?.joined === false) this.rooms.delete(roomId);
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
    };
    return this.request<AckFrame>(this.byMsg, clientMsgId, 'ack', roomId, frame);
  }

  /** Sends likes (1–100, default 1). No reply; totals arrive as `likes` events. False if not sent. */
  like(roomId: string, count = 1): boolean {
    const err = this.send({ type: 'like', roomId, count });
    if (err !== null && err.kind !== 'closed') this.emit('error', err);
    return err === null;
  }

  /** Round trip to the gateway; resolves with `pong` (its `serverTime`). */
  ping(): Promise<PongFrame> {
    const reqId = this.nextId();
    return this.request<PongFrame>(this.byReq, reqId, 'pong', undefined, { type: 'ping', reqId });
  }

  /** Closes for good (no reconnect), rejecting pending calls. Default code 1000. */
  close(code = 1000, reason = ''): void {
    this.userClosed = true;
    this.sessionEstablished = false;
    this.stateValue = 'closed';
    this.connectPromise = null;
    this.clearReconnectTimer();
    this.stopHeartbeat();
    const err = errorFromClose(code, reason || 'closed by client');
    if (this.connectWaiter !== null) {
      this.connectWaiter.reject(err);
      this.connectWaiter = null;
    }
    this.rejectAll(err);
    this.rooms.clear();
    this.welcomed = false;
    // The socket's own close event still arrives and is reported as `close` with willReconnect false.
    this.ws?.close(code, reason);
  }

  /** Seq of the newest message seen in `roomId` (or the `joined` lastSeq); 0 if unknown. */
  lastSeq(roomId: string): number {
    return this.rooms.get(roomId)?.lastSeq ?? 0;
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

  private async openSocket(): Promise<void> {
    let token: string;
    try {
      token = this.tokenOption ?? (await (this.getToken as () => Promise<string>)());
    } catch (err) {
      this.onOpenFailed(
        new RoomcastError('UNAUTHORIZED', 'getToken failed', { kind: 'local', cause: err, retriable: true }),
      );
      return;
    }
    if (this.userClosed) return;
    const Ctor = this.WebSocketCtor;
    if (Ctor === undefined) {
      this.onOpenFailed(
        new RoomcastError('CONFIG_INVALID', 'no WebSocket implementation: pass options.WebSocket', {
          kind: 'local',
          retriable: false,
        }),
      );
      return;
    }
    const sep = this.url.includes('?') ? '&' : '?';
    let ws: WebSocketLike;
    try {
      ws = new Ctor(
        `${this.url}${sep}token=${encodeURIComponent(token)}&${PROTOCOL_QUERY_PARAM}=${this.protocol}`,
      );
    } catch (err) {
      // Bad URL or scheme: not something a retry fixes.
      this.onOpenFailed(
        new RoomcastError('CONFIG_INVALID', 'could not open WebSocket', {
          kind: 'local',
          cause: err,
          retriable: false,
        }),
      );
      return;
    }
    this.ws = ws;
    this.lastTransportError = undefined;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.onData(ev.data);
    };
    ws.onerror = (ev) => {
      // Browsers and ws always follow an error with a close; keep it as the close error's cause.
      if (this.ws === ws) this.lastTransportError = ev;
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.onSocketClose(ev.code, ev.reason);
    };
  }

  /** A connection attempt failed before a socket existed (token, constructor). */
  private onOpenFailed(err: RoomcastError): void {
    if (this.connectWaiter !== null) {
      this.connectWaiter.reject(err);
      this.connectWaiter = null;
      this.connectPromise = null;
      this.stateValue = 'closed';
      return;
    }
    this.emit('error', err);
    if (err.retriable && !this.userClosed && this.sessionEstablished) this.scheduleReconnect();
    else this.stateValue = 'closed';
  }

  private onSocketClose(code: number, reason: string): void {
    this.ws = null;
    this.welcomed = false;
    this.stopHeartbeat();
    const err = errorFromClose(code, reason, this.lastTransportError);
    this.lastTransportError = undefined;
    this.rejectAll(err);
    if (this.connectWaiter !== null) {
      this.connectWaiter.reject(err);
      this.connectWaiter = null;
      this.connectPromise = null;
      this.stateValue = 'closed';
      this.emit('close', { code, reason, willReconnect: false });
      return;
    }
    const willReconnect =
      !this.userClosed && this.sessionEstablished && this.reconnectOptions.enabled && isReconnectable(code);
    if (!willReconnect) {
      this.stateValue = 'closed';
      this.connectPromise = null;
      this.sessionEstablished = false;
    }
    this.emit('close', { code, reason, willReconnect });
    if (willReconnect) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.stateValue = 'reconnecting';
    const { baseMs, maxMs } = this.reconnectOptions;
    const delay = backoffDelayMs(this.reconnectAttempt, baseMs, maxMs);
    this.reconnectAttempt++;
    this.clearReconnectTimer();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.openSocket();
    }, delay);
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer !== null) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
  }

  private onWelcome(frame: WelcomeFrame): void {
    this.welcomed = true;
    this.welcomeFrame = frame;
    this.stateValue = 'open';
    const reconnected = this.sessionEstablished;
    const attempts = this.reconnectAttempt;
    this.sessionEstablished = true;
    this.reconnectAttempt = 0;
    this.startHeartbeat(frame.heartbeatMs);
    if (this.connectWaiter !== null) {
      this.connectWaiter.resolve(frame);
      this.connectWaiter = null;
    }
    this.emit('welcome', frame);
    if (!reconnected) return;
    this.counters.reconnects++;
    this.emit('reconnect', { attempts, welcome: frame });
    for (const [roomId, room] of this.rooms) {
      if (!room.joined) continue;
      const reqId = this.nextId();
      void this.request<JoinedFrame>(this.byReq, reqId, 'joined', roomId, {
        type: 'join',
        roomId,
        reqId,
      }).then(undefined, (err: RoomcastError) => {
        if (err.kind === 'closed') return; // the next reconnect rejoins
        this.rooms.delete(roomId);
        this.emit('error', err);
      });
    }
  }

  private startHeartbeat(heartbeatMs: number): void {
    this.stopHeartbeat();
    if (!this.heartbeat || !(heartbeatMs > 0)) return;
    this.sentSinceBeat = false;
    this.heartbeatTimer = setInterval(() => {
      if (!this.sentSinceBeat && this.ws !== null && this.ws.readyState === WS_OPEN) this.ws.send(PING_FRAME);
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
        this.onMessage(frame);
        return;
      case 'messages':
        this.onMessages(frame);
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
        this.emit('rejected', frame);
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
      case 'error':
        this.onErrorFrame(frame);
        return;
      case 'welcome':
        this.onWelcome(frame);
        return;
    }
  }

  private onMessage(frame: MessageFrame): void {
    const room = this.rooms.get(frame.roomId);
    if (room !== undefined) {
      if (frame.seq <= room.lastSeq) {
        this.counters.duplicatesDropped++;
        return;
      }
      if (room.lastSeq > 0 && frame.seq > room.lastSeq + 1) this.counters.gaps++;
      room.lastSeq = frame.seq;
    }
    this.emit('message', frame);
  }

  /**
   * A v2 batch: one `message` event per message. Seqs of the range that are not in the frame were
   * thinned (counted, not gaps); a gap is a frame starting past lastSeq + 1.
   */
  private onMessages(frame: MessagesFrame): void {
    this.counters.batches++;
    const room = this.rooms.get(frame.roomId);
    if (room !== undefined && room.lastSeq > 0 && frame.fromSeq > room.lastSeq + 1) this.counters.gaps++;
    // Only thinned seqs above lastSeq count: a frame seen again (or overlapping) adds none twice.
    let thinned = frame.thinned;
    if (room !== undefined && room.lastSeq >= frame.fromSeq) {
      const start = room.lastSeq + 1;
      let fresh = 0;
      for (const m of frame.messages) if (m.seq >= start) fresh++;
      thinned = Math.max(0, frame.toSeq - start + 1 - fresh);
    }
    if (thinned > 0) {
      this.counters.thinned += thinned;
      this.emit('thinned', {
        roomId: frame.roomId,
        count: thinned,
        fromSeq: frame.fromSeq,
        toSeq: frame.toSeq,
      });
    }
    for (const m of frame.messages) {
      if (room !== undefined) {
        if (m.seq <= room.lastSeq) {
          this.counters.duplicatesDropped++;
          continue;
        }
        room.lastSeq = m.seq;
      }
      this.emit('message', { type: 'message', roomId: frame.roomId, ...m });
    }
    if (room !== undefined && frame.toSeq > room.lastSeq) room.lastSeq = frame.toSeq;
  }

  private onJoined(frame: JoinedFrame): void {
    const room = this.rooms.get(frame.roomId);
    if (room !== undefined) {
      // A rejoin that reports a newer seq than we saw means messages were missed while away.
      if (room.joined && room.lastSeq > 0 && frame.lastSeq > room.lastSeq) this.counters.gaps++;
      if (frame.lastSeq > room.lastSeq) room.lastSeq = frame.lastSeq;
      room.joined = true;
    }
    this.settle(this.byReq, frame.reqId ?? this.findPending('joined', frame.roomId), frame);
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
    const ws = this.ws;
    if (ws === null || !this.welcomed || ws.readyState !== WS_OPEN) return errorFromClose(undefined, '');
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
