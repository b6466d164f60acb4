import { WebSocket, type RawData } from 'ws';
import {
  RoomcastClient,
  RoomcastError,
  type WebSocketConstructor,
  type WebSocketLike,
} from '@roomcast/client';
import { isMessageFrame, scanRoomcastMessage, type ScannedMessage } from '../frame-scan';
import { nowMs } from '../stats';
import { ConnectFailure, LoadConnection } from './load-connection';

const HANDSHAKE_TIMEOUT_MS = 15_000;
const scanned: ScannedMessage = { seq: 0, sentAt: 0 };

/**
 * The socket handed to RoomcastClient: a `ws` WebSocket bound to the connection's source address,
 * with a tap in front of the SDK. `message` frames are counted here from the raw bytes (seq and
 * sentAt scanned, no JSON.parse) and NOT passed on: the SDK would drop seq <= lastSeq before
 * anyone saw it, and the load tool must see exactly what the server sent. Every other frame
 * (welcome, joined, ack, rejected, likes, online, error, pong) goes to the SDK as text.
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
    if (!isBinary && isMessageFrame(buf) && scanRoomcastMessage(buf, scanned)) {
      this.owner.onRawMessage(scanned.seq, scanned.sentAt);
      return;
    }
    this.onmessage?.({ data: buf.toString() });
  }
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

/** A roomcast viewer or sender driven through @roomcast/client. */
export class RoomcastLoadConnection extends LoadConnection {
  private client: RoomcastClient | null = null;

  async start(token: string): Promise<void> {
    this.state = 'connecting';
    const client = new RoomcastClient({
      url: this.spec.url,
      token,
      WebSocket: socketClassFor(this, this.spec.localAddress),
      // A load tool reports closes; it does not paper over them.
      reconnect: { enabled: false },
      validateFrames: false,
      requestTimeoutMs: this.ctx.requestTimeoutMs,
    });
    this.client = client;
    client.on('close', (info) => this.onClosed(info.code));
    client.on('rejected', () => this.onRejected());
    client.on('error', (err) => this.ctx.stats.recordError(err.code));
    // Only reached when the tap could not scan a message frame (an unexpected encoding).
    client.on('message', (m) => this.onMessage(m.seq, m.sentAt));
    const connectStarted = nowMs();
    try {
      await client.connect();
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

  /** Called by the tap for every raw message frame. */
  onRawMessage(seq: number, sentAt: number): void {
    this.onMessage(seq, sentAt);
  }

  chat(clientMsgId: string, sentAtMs: number): void {
    const client = this.client;
    if (client === null) return;
    this.ctx.stats.counters.chatsSent++;
    client.chat(this.spec.roomId, this.ctx.text, { clientMsgId, sentAt: Math.round(sentAtMs) }).then(
      () => this.onAcked(sentAtMs),
      (err: unknown) => this.onChatFailed(chatFailureKey(err)),
    );
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
