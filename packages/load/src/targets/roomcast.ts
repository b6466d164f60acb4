import { WebSocket, type RawData } from 'ws';
import {
  RoomcastClient,
  RoomcastError,
  type WebSocketConstructor,
  type WebSocketLike,
} from '@roomcast/client';
import { MessageFrame, MessagesFrame } from '@roomcast/contracts';
import {
  FrameKind,
  ScannedBatch,
  messageFrameKind,
  scanMessagesFrame,
  scanRoomcastMessage,
  type ScannedMessage,
} from '../frame-scan';
import { nowMs } from '../stats';
import { ConnectFailure, LoadConnection } from './load-connection';

const HANDSHAKE_TIMEOUT_MS = 15_000;
// Scratch space of the hot path, shared by every connection of the worker (frames are handled one
// at a time): nothing is allocated per frame or per message.
const scanned: ScannedMessage = { seq: 0, sentAt: 0, gift: false };
/** The gift the load tool sends (unknown to a catalog it is worth 1; any id works). */
const LOAD_GIFT_ID = 'rose';
const batch = new ScannedBatch();
const fallbackBatch = new ScannedBatch();
/** Any frame containing this may be a message(s) frame in another shape: checked through JSON. */
const MESSAGE_WORD = Buffer.from('"message');
/** How the gateway's `joined` starts: the end of a resume's catch-up, seen in frame order. */
const JOINED_HEAD = Buffer.from('{"type":"joined"');

/**
 * The socket handed to RoomcastClient: a `ws` WebSocket bound to the connection's source address,
 * with a tap in front of the SDK. `message` (v1) and `messages` (v2) frames are counted here from
 * the raw bytes (seqs, sentAts and the thinned count scanned, no JSON.parse) and NOT passed on:
 * the SDK would drop seq <= lastSeq before anyone saw it, and the load tool must see exactly what
 * the server sent. A frame that looks like one of them but does not scan takes the JSON path and
 * is counted (`unscannedFrames`). Every other frame (welcome, joined, ack, rejected, likes,
 * online, error, pong) goes to the SDK as text. The SDK is told the newest seq consumed
 * (`advance`), so a resume after a reconnect asks for exactly what came after it.
 */
class TappedWebSocket implements WebSocketLike {
  binaryType = 'nodebuffer';
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  private readonly ws: WebSocket;

  constructor(
    url: string,
    private readonly owner: RoomcastLoadConnection,
    localAddress: string | undefined,
  ) {
    this.ws = new WebSocket(url, {
      localAddress,
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    this.ws.on('message', (data: RawData, isBinary: boolean) => this.onWsMessage(data, isBinary));
    this.ws.on('close', (code: number, reason: Buffer) =>
      this.onclose?.({ code, reason: reason.toString() }),
    );
    this.ws.on('error', (err: Error) => this.onerror?.(err));
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    this.ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  private onWsMessage(data: RawData, isBinary: boolean): void {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary) {
      const kind = messageFrameKind(buf);
      if (kind === FrameKind.Messages) {
        if (scanMessagesFrame(buf, batch)) this.owner.onRawBatch(batch);
        else this.owner.onUnscannedFrame(buf, true);
        return;
      }
      if (kind === FrameKind.Message) {
        if (scanRoomcastMessage(buf, scanned)) this.owner.onRawMessage(scanned.seq, scanned.sentAt, scanned.gift === true);
        else this.owner.onUnscannedFrame(buf, true);
        return;
      }
      if (buf.indexOf(MESSAGE_WORD) >= 0 && this.owner.onUnscannedFrame(buf, false)) return;
      // The SDK reports a resume's `joined` only after a microtask, when live frames that came in
      // the same read may already have been counted: the catch-up ends here, in frame order.
      if (this.owner.catchingUp && startsWith(buf, JOINED_HEAD)) this.owner.catchingUp = false;
    }
    this.onmessage?.({ data: buf.toString() });
  }
}

function startsWith(buf: Buffer, head: Buffer): boolean {
  return buf.length >= head.length && buf.compare(head, 0, head.length, 0, head.length) === 0;
}

/** The connection's own URL first, then the others in `--url` order: where each reconnect goes next. */
export function urlsFrom(urls: readonly string[], own: string): string[] {
  const i = Math.max(0, urls.indexOf(own));
  return [...urls.slice(i), ...urls.slice(0, i)];
}

/** The SDK constructs sockets from a URL alone: bind the connection and its source address here. */
function socketClassFor(
  owner: RoomcastLoadConnection,
  localAddress: string | undefined,
): WebSocketConstructor {
  return class extends TappedWebSocket {
    constructor(url: string) {
      super(url, owner, localAddress);
    }
  };
}

function failureKey(err: unknown): string {
  if (err instanceof RoomcastError) {
    if (err.closeCode !== undefined) return String(err.closeCode);
    if (err.kind === 'timeout') return 'TIMEOUT';
    return err.code;
  }
  return 'UNKNOWN';
}

/** Chat outcome key: the server's error code, or TIMEOUT / CLOSED when no reply came. */
function chatFailureKey(err: unknown): string {
  if (!(err instanceof RoomcastError)) return 'UNKNOWN';
  if (err.kind === 'timeout') return 'TIMEOUT';
  if (err.kind === 'closed') return 'CLOSED';
  return err.code;
}

/**
 * A roomcast viewer or sender driven through @roomcast/client. With `--resume` the SDK reconnects
 * (its own backoff, the next URL each time) and resumes the room with `afterSeq`; the catch-up
 * comes through the tap like any message frame. A sender's chats that the close rejected are sent
 * again, with the same clientMsgId, once the room is resumed (the gateway keeps one per id).
 */
export class RoomcastLoadConnection extends LoadConnection {
  private client: RoomcastClient | null = null;
  /** Chats rejected by a close, waiting for the resume (`--resume`). */
  private readonly resend: { clientMsgId: string; sentAtMs: number }[] = [];

  async start(token: string): Promise<void> {
    this.state = 'connecting';
    const resume = this.ctx.resume;
    const client = new RoomcastClient({
      url: resume ? urlsFrom(this.ctx.urls, this.spec.url) : this.spec.url,
      token,
      WebSocket: socketClassFor(this, this.spec.localAddress),
      // A load tool reports closes rather than papering over them; with --resume it also comes
      // back as a viewer would (closes still counted), and the report shows what that cost.
      reconnect: { enabled: resume },
      validateFrames: false,
      requestTimeoutMs: this.ctx.requestTimeoutMs,
      // Declared in the socket URL (`protocol=<n>`) by the SDK.
      protocol: this.ctx.protocol,
    });
    this.client = client;
    client.on('close', (info) => {
      this.onClosed(info.code, info.willReconnect);
      if (this.state === 'closed') this.failResends();
    });
    client.on('rejected', () => this.onRejected());
    client.on('error', (err) => this.ctx.stats.recordError(err.code));
    if (resume) {
      client.on('reconnect', () => this.onReconnected());
      client.on('joined', (joined) => {
        // The first join is awaited below; only a resume's joined counts here.
        if (!this.resumePending) return;
        const missing = joined.missing === undefined ? 0 : joined.missing.toSeq - joined.missing.fromSeq + 1;
        this.onResumed(missing, joined.recoveredCount ?? 0);
        this.flushResends();
      });
    }
    // Message frames never reach the SDK (the tap counts them), so it has no 'message' to emit.
    const connectStarted = nowMs();
    try {
      const welcome = await client.connect();
      this.ctx.stats.recordWelcomeProtocol(welcome.protocol);
    } catch (err) {
      this.state = 'closed';
      throw new ConnectFailure(failureKey(err), `connect: ${String(err)}`);
    }
    this.onOpened(connectStarted);
    const joinStarted = nowMs();
    try {
      const joined = await client.join(this.spec.roomId);
      this.onJoined(joinStarted, joined.lastSeq);
    } catch (err) {
      this.closing = true;
      client.close();
      throw new ConnectFailure(failureKey(err), `join: ${String(err)}`);
    }
  }

  /** Called by the tap for every scanned `message` frame. */
  onRawMessage(seq: number, sentAt: number, gift = false): void {
    this.onMessage(seq, sentAt, gift);
    this.client?.advance(this.spec.roomId, seq);
  }

  /** Called by the tap for every scanned `messages` frame. */
  onRawBatch(scannedBatch: ScannedBatch): void {
    this.onBatch(scannedBatch);
    // Thinned seqs included: they are in history, not owed by a resume.
    this.client?.advance(this.spec.roomId, scannedBatch.toSeq);
  }

  /**
   * The JSON path for a frame the scanner could not read: `startsLikeMessage` when its first
   * bytes said `message`/`messages`, false when it only contains the word. A `message` or
   * `messages` frame is counted in `unscannedFrames` (a verdict problem: the gateway's frame shape
   * changed, or the scanner is wrong) and, when it passes the contracts schema, delivered like a
   * scanned one; one that fails the schema is a BAD_FRAME error. Returns false for any other
   * frame (it goes to the SDK).
   */
  onUnscannedFrame(buf: Buffer, startsLikeMessage: boolean): boolean {
    const stats = this.ctx.stats;
    let raw: unknown;
    try {
      raw = JSON.parse(buf.toString());
    } catch {
      // Not JSON at all. A frame that started like a message frame is counted here; anything else
      // goes to the SDK, which reports it as BAD_FRAME.
      if (!startsLikeMessage) return false;
      if (!stats.frozen) stats.counters.unscannedFrames++;
      stats.recordError('BAD_FRAME');
      return true;
    }
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    if (type !== 'message' && type !== 'messages') return false;
    if (!stats.frozen) stats.counters.unscannedFrames++;
    if (type === 'message') {
      const frame = MessageFrame.safeParse(raw);
      if (frame.success) this.onRawMessage(frame.data.seq, frame.data.sentAt, frame.data.kind === 'gift');
      else stats.recordError('BAD_FRAME');
      return true;
    }
    const frame = MessagesFrame.safeParse(raw);
    if (!frame.success) {
      stats.recordError('BAD_FRAME');
      return true;
    }
    fallbackBatch.fromSeq = frame.data.fromSeq;
    fallbackBatch.toSeq = frame.data.toSeq;
    fallbackBatch.thinned = frame.data.thinned;
    fallbackBatch.count = 0;
    for (const m of frame.data.messages) fallbackBatch.push(m.seq, m.sentAt, m.kind === 'gift' ? 1 : 0);
    this.onRawBatch(fallbackBatch);
    return true;
  }

  chat(clientMsgId: string, sentAtMs: number): void {
    if (this.client === null) return;
    this.ctx.stats.counters.chatsSent++;
    this.sendChat(clientMsgId, sentAtMs);
  }

  /**
   * A gift (`--gifts`): acked like a chat (into chatsAcked and the room's acked count: it is a
   * message of the stream every member must receive). Not resent after a close: a gift the close
   * rejected counts as failed.
   */
  gift(clientMsgId: string, sentAtMs: number): void {
    const client = this.client;
    if (client === null) return;
    this.ctx.stats.counters.chatsSent++;
    this.ctx.stats.counters.giftsSent++;
    client.gift(this.spec.roomId, LOAD_GIFT_ID, { clientMsgId, sentAt: Math.round(sentAtMs) }).then(
      () => this.onAcked(sentAtMs),
      (err: unknown) => this.onChatFailed(chatFailureKey(err)),
    );
  }

  /** ackMs of a resent chat runs from its first send: what its sender waited. */
  private sendChat(clientMsgId: string, sentAtMs: number): void {
    const client = this.client;
    if (client === null) return;
    client.chat(this.spec.roomId, this.ctx.text, { clientMsgId, sentAt: Math.round(sentAtMs) }).then(
      () => this.onAcked(sentAtMs),
      (err: unknown) => {
        // Closed under it (in flight, or sent while away): the resume sends it again. Accepted or
        // not, it is acked once: the gateway keeps one message per clientMsgId.
        if (
          this.ctx.resume &&
          err instanceof RoomcastError &&
          err.kind === 'closed' &&
          this.state !== 'closed'
        ) {
          this.resend.push({ clientMsgId, sentAtMs });
          return;
        }
        this.onChatFailed(chatFailureKey(err));
      },
    );
  }

  private flushResends(): void {
    const waiting = this.resend.splice(0);
    this.ctx.stats.counters.chatsResent += waiting.length;
    for (const c of waiting) this.sendChat(c.clientMsgId, c.sentAtMs);
  }

  /** The connection is closed for good: the chats waiting to be resent failed. */
  private failResends(): void {
    const failed = this.resend.splice(0).length;
    for (let i = 0; i < failed; i++) this.onChatFailed('CLOSED');
  }

  like(): boolean {
    if (this.client === null || this.state !== 'joined') return false;
    const sent = this.client.like(this.spec.roomId, 1);
    if (sent) this.ctx.stats.counters.likesSent++;
    return sent;
  }

  close(): void {
    this.closing = true;
    if (this.client !== null && this.state !== 'closed') this.client.close(1000, 'load run finished');
  }
}
