/**
 * The chaos suite's clients, all on the SDK: viewers that resume on their own, and senders that
 * resend a message with its clientMsgId until it is acked. Each keeps its own record of what it
 * was told, for the audit.
 */
import WebSocket from 'ws';
import { RoomcastClient, RoomcastError, type WebSocketConstructor } from '@roomcast/client';
import type { ReceivedMessage, SentMessage, ViewerLog } from './audit';

/** A resend waits this long (plus up to as much jitter) after a failed attempt, in ms. */
const RESEND_DELAY_MS = 400;
/** Tokens outlive any run. */
const TOKEN_TTL_S = 3600;

export interface ClientSetup {
  /** Token for a user id. */
  token(userId: string, ttlSeconds?: number): Promise<string>;
  /** Gateway URLs: the client starts on the first and moves to the next on each reconnect. */
  urls: string[];
  historyUrl: string;
}

/** A viewer: joins its rooms and records every `message` event and what the SDK reports. */
export class ChaosViewer {
  readonly received: ReceivedMessage[] = [];
  readonly lostRanges: ViewerLog['lostRanges'] = [];
  /** Error codes of `error` events and failed calls, with how often. */
  readonly errors = new Map<string, number>();
  protected readonly client: RoomcastClient;
  /** The client's current socket (the SDK opens a new one on each reconnect). */
  private socket: WebSocket | undefined;
  /** Sockets this harness cut. */
  drops = 0;
  /** What happened to its connection, with epoch ms: for the report of a client that lost something. */
  readonly timeline: { at: number; event: string }[] = [];

  constructor(
    readonly id: string,
    readonly rooms: string[],
    protected readonly setup: ClientSetup,
    token: string,
  ) {
    // The ws constructor, remembering each socket the SDK opens so drop() can cut it.
    const track = (ws: WebSocket): void => void (this.socket = ws);
    class TrackedWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        track(this);
      }
    }
    this.client = new RoomcastClient({
      url: setup.urls,
      token,
      WebSocket: TrackedWebSocket as unknown as WebSocketConstructor,
      protocol: 2,
      historyUrl: setup.historyUrl,
      // Reconnect soon: a killed gateway's viewers move to the other one at once.
      reconnect: { baseMs: 200, maxMs: 2000 },
      requestTimeoutMs: 5000,
    });
    this.client.on('message', (m) =>
      this.received.push({ roomId: m.roomId, seq: m.seq, userId: m.userId, clientMsgId: m.clientMsgId }),
    );
    this.client.on('lost', (range) => {
      this.lostRanges.push(range);
      this.note(`lost ${range.roomId} ${range.fromSeq}..${range.toSeq}`);
    });
    this.client.on('error', (err) => {
      this.countError(`event ${err.code}`);
      this.note(`error ${err.code}: ${err.message}`);
    });
    this.client.on('state', ({ to }) => this.note(`state ${to}`));
    this.client.on('joined', (j) => {
      const missing = j.missing ? ` missing ${j.missing.fromSeq}..${j.missing.toSeq}` : '';
      const recovered =
        j.recovered === undefined ? '' : ` recovered=${j.recovered} (${j.recoveredCount ?? 0})`;
      this.note(`joined ${j.roomId} lastSeq ${j.lastSeq}${recovered}${missing}`);
    });
  }

  static async start(id: string, rooms: string[], setup: ClientSetup): Promise<ChaosViewer> {
    const viewer = new ChaosViewer(id, rooms, setup, await setup.token(id, TOKEN_TTL_S));
    await viewer.open();
    return viewer;
  }

  protected async open(): Promise<void> {
    await this.client.connect();
    for (const room of this.rooms) await this.client.join(room);
  }

  /**
   * Cuts its connection as a network failure would (no close frame: the SDK sees 1006) and
   * lets the SDK reconnect and resume. False when it has no open socket.
   */
  drop(): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.terminate();
    this.drops++;
    this.note('socket cut by the harness');
    return true;
  }

  /** Its gateways, in the order it tries them. */
  get urls(): string[] {
    return this.setup.urls;
  }

  /** The newest seq it has of `roomId`. */
  lastSeq(roomId: string): number {
    return this.client.lastSeq(roomId);
  }

  protected note(event: string): void {
    this.timeline.push({ at: Date.now(), event });
  }

  protected countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** `event <code>` of `error` events and `chat <code>/<kind>` of failed chats, with how often. */
  errorSummary(): Record<string, number> {
    return Object.fromEntries(this.errors);
  }

  /** Its record for the audit (call after the run). */
  log(): ViewerLog {
    const s = this.client.stats();
    return {
      id: this.id,
      rooms: this.rooms,
      received: this.received,
      lostRanges: this.lostRanges,
      sdk: {
        recovered: s.recovered,
        lost: s.lost,
        gaps: s.gaps,
        duplicatesDropped: s.duplicatesDropped,
        reconnects: s.reconnects,
        thinned: s.thinned,
      },
    };
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A sender: a viewer of the rooms it sends to (the gateway takes chats only from members) that
 * sends messages on demand and resends each, with the same clientMsgId, until it is acked.
 */
export class ChaosSender extends ChaosViewer {
  readonly messages: SentMessage[] = [];
  private readonly byId = new Map<string, SentMessage>();
  private readonly unacked = new Map<string, SentMessage>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private next = 0;
  private stopped = false;

  static override async start(id: string, rooms: string[], setup: ClientSetup): Promise<ChaosSender> {
    const sender = new ChaosSender(id, rooms, setup, await setup.token(id, TOKEN_TTL_S));
    await sender.open();
    return sender;
  }

  constructor(id: string, rooms: string[], setup: ClientSetup, token: string) {
    super(id, rooms, setup, token);
    this.client.on('rejected', (frame) => {
      const m = this.byId.get(frame.clientMsgId);
      if (m) m.rejected = true;
      this.note(`rejected ${frame.clientMsgId} (${frame.reason})`);
    });
  }

  /** Sends a new message to `roomId`; `blocked` ones carry a word the filter rejects. */
  send(roomId: string, blockedWord: string | undefined): void {
    const clientMsgId = `${this.id}-${++this.next}`;
    const m: SentMessage = {
      userId: this.id,
      clientMsgId,
      roomId,
      blocked: blockedWord !== undefined,
      attempts: 0,
      acked: false,
      rejected: false,
      firstSentAt: Date.now(),
    };
    this.messages.push(m);
    this.byId.set(clientMsgId, m);
    this.unacked.set(clientMsgId, m);
    this.attempt(
      m,
      blockedWord === undefined ? `chaos ${clientMsgId}` : `chaos ${clientMsgId} ${blockedWord}`,
    );
  }

  /** Messages not acked yet. */
  get pending(): number {
    return this.unacked.size;
  }

  /** No more resends (the run is over). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attempt(m: SentMessage, text: string): void {
    if (this.stopped) return;
    m.attempts++;
    this.client.chat(m.roomId, text, { clientMsgId: m.clientMsgId }).then(
      () => {
        m.acked = true;
        m.ackedAt ??= Date.now();
        this.unacked.delete(m.clientMsgId);
      },
      (err: unknown) => {
        // Closed, timed out, refused (NOT_IN_ROOM before the rejoin, PUBLISH_FAILED while Kafka
        // is down): send it again later under the same clientMsgId; chat-ingest drops repeats.
        this.countError(err instanceof RoomcastError ? `chat ${err.code}/${err.kind}` : 'chat ?');
        if (this.stopped) return;
        const timer = setTimeout(
          () => {
            this.timers.delete(timer);
            this.attempt(m, text);
          },
          RESEND_DELAY_MS * (1 + Math.random()),
        );
        this.timers.add(timer);
      },
    );
  }
}
