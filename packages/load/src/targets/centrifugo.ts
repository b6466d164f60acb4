import { WebSocket, type RawData } from 'ws';
import { scanCentrifugoPublication, type ScannedMessage } from '../frame-scan';
import { nowMs } from '../stats';
import { ConnectFailure, LoadConnection } from './load-connection';

const HANDSHAKE_TIMEOUT_MS = 15_000;
const NEWLINE = 0x0a;
const PUSH_PREFIX = Buffer.from('{"push"');
const PING = '{}';
const CONNECT_ID = 1;
const SUBSCRIBE_ID = 2;
const scanned: ScannedMessage = { seq: 0, sentAt: 0 };

interface ReplyLine {
  id?: number;
  error?: { code: number; message: string };
  subscribe?: { offset?: number };
}

/**
 * A client of Centrifugo's bidirectional JSON WebSocket protocol (client protocol v2, as in
 * Centrifugo v6): `connect` with the JWT, `subscribe` to the room's channel, `publish` chat. One
 * frame may carry several newline-separated replies/pushes; `{}` from the server is a ping and is
 * answered with `{}`. The channel's publication `offset` (present when the channel keeps history)
 * plays the role of roomcast's seq; without history, deliveries are counted but not seq-checked.
 * Likes have no Centrifugo equivalent and are not sent.
 */
export class CentrifugoLoadConnection extends LoadConnection {
  private ws: WebSocket | null = null;
  private nextId = SUBSCRIBE_ID + 1;
  /** publish command id -> sentAt ms. */
  private readonly inflight = new Map<number, number>();
  private startWaiter: { resolve: () => void; reject: (err: ConnectFailure) => void } | null = null;
  private connectStarted = 0;
  private joinStarted = 0;
  private readonly channel: string;

  constructor(...args: ConstructorParameters<typeof LoadConnection>) {
    super(...args);
    this.channel = this.spec.roomId;
  }

  start(token: string): Promise<void> {
    this.state = 'connecting';
    this.connectStarted = nowMs();
    return new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      const ws = new WebSocket(this.spec.url, {
        localAddress: this.spec.localAddress,
        perMessageDeflate: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      });
      this.ws = ws;
      ws.on('open', () =>
        ws.send(JSON.stringify({ id: CONNECT_ID, connect: { token, name: 'roomcast-load' } })),
      );
      ws.on('message', (data: RawData) => this.onData(data));
      ws.on('close', (code: number) => this.onSocketClose(code));
      ws.on('error', (err: Error & { code?: string }) => {
        // A close always follows; remember why for a failed connect.
        this.lastErrorCode = err.code ?? 'WS_ERROR';
      });
    });
  }

  private lastErrorCode: string | undefined;

  private fail(key: string, message: string): void {
    const waiter = this.startWaiter;
    this.startWaiter = null;
    waiter?.reject(new ConnectFailure(key, message));
    this.closing = true;
    this.ws?.close();
  }

  private onSocketClose(code: number): void {
    if (this.startWaiter !== null) {
      const key = code === 1006 && this.lastErrorCode ? this.lastErrorCode : String(code);
      this.state = 'closed';
      this.fail(key, `closed with ${code} before subscribed`);
      return;
    }
    for (const _ of this.inflight.keys()) this.onChatFailed('CLOSED');
    this.inflight.clear();
    this.onClosed(code);
  }

  private onData(data: RawData): void {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let start = 0;
    while (start < buf.length) {
      let end = buf.indexOf(NEWLINE, start);
      if (end < 0) end = buf.length;
      if (end > start) this.onLine(buf, start, end);
      start = end + 1;
    }
  }

  private onLine(buf: Buffer, start: number, end: number): void {
    if (end - start === 2 && buf[start] === 0x7b && buf[start + 1] === 0x7d) {
      this.ws?.send(PING);
      return;
    }
    if (buf.compare(PUSH_PREFIX, 0, PUSH_PREFIX.length, start, start + PUSH_PREFIX.length) === 0) {
      if (scanCentrifugoPublication(buf, start, end, scanned)) this.onMessage(scanned.seq, scanned.sentAt);
      return;
    }
    let reply: ReplyLine;
    try {
      reply = JSON.parse(buf.toString('utf8', start, end)) as ReplyLine;
    } catch {
      this.ctx.stats.recordError('BAD_FRAME');
      return;
    }
    this.onReply(reply);
  }

  private onReply(reply: ReplyLine): void {
    const id = reply.id ?? 0;
    const error = reply.error;
    if (id === CONNECT_ID) {
      if (error) return this.fail(`CENTRIFUGO_${error.code}`, `connect: ${error.message}`);
      this.onOpened(this.connectStarted);
      this.joinStarted = nowMs();
      this.ws?.send(JSON.stringify({ id: SUBSCRIBE_ID, subscribe: { channel: this.channel } }));
      return;
    }
    if (id === SUBSCRIBE_ID) {
      if (error) return this.fail(`CENTRIFUGO_${error.code}`, `subscribe: ${error.message}`);
      this.onJoined(this.joinStarted, reply.subscribe?.offset ?? 0);
      const waiter = this.startWaiter;
      this.startWaiter = null;
      waiter?.resolve();
      return;
    }
    const sentAt = this.inflight.get(id);
    if (sentAt === undefined) {
      if (error) this.ctx.stats.recordError(`CENTRIFUGO_${error.code}`);
      return;
    }
    this.inflight.delete(id);
    if (error) this.onChatFailed(`CENTRIFUGO_${error.code}`);
    else this.onAcked(sentAt);
  }

  /** Centrifugo has no gifts (args refuse `--gifts` with `--target centrifugo`). */
  gift(): void {
    throw new Error('gifts are for --target roomcast');
  }

  chat(clientMsgId: string, sentAtMs: number): void {
    const ws = this.ws;
    if (ws === null || this.state !== 'joined') return;
    const id = this.nextId++;
    this.ctx.stats.counters.chatsSent++;
    this.inflight.set(id, sentAtMs);
    ws.send(
      JSON.stringify({
        id,
        publish: {
          channel: this.channel,
          data: { clientMsgId, text: this.ctx.text, sentAt: Math.round(sentAtMs) },
        },
      }),
    );
  }

  like(): boolean {
    return false;
  }

  /** Publishes still waiting for a reply. */
  get unacked(): number {
    return this.inflight.size;
  }

  close(): void {
    this.closing = true;
    if (this.ws !== null && this.state !== 'closed') this.ws.close(1000, 'load run finished');
  }
}
