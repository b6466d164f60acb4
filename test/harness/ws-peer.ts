import WebSocket from 'ws';
import { ServerFrame } from '@roomcast/contracts';
import { waitFor } from '@roomcast/testing';

type FrameType = ServerFrame['type'];
export type FrameOf<T extends FrameType> = Extract<ServerFrame, { type: T }>;

const WAIT_MS = 10_000;

/**
 * A raw WebSocket client for tests against running stacks: records every server frame (each
 * validated against the protocol schema; invalid ones are kept apart) and the close code.
 */
export class WsPeer {
  readonly frames: ServerFrame[] = [];
  readonly invalid: string[] = [];
  closed: { code: number; reason: string } | undefined;
  private nextReq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      const parsed = ServerFrame.safeParse(JSON.parse(text));
      if (parsed.success) this.frames.push(parsed.data);
      else this.invalid.push(text);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on('error', () => undefined);
  }

  /** Opens `url?token=...&protocol=2`; resolves once the socket is open (welcome or a close may follow). */
  static open(url: string, token: string, protocol = 2): Promise<WsPeer> {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}&protocol=${protocol}`);
    const peer = new WsPeer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(peer));
      ws.once('error', reject);
    });
  }

  /** Opens and waits for `welcome`. */
  static async connect(url: string, token: string, protocol = 2): Promise<WsPeer> {
    const peer = await WsPeer.open(url, token, protocol);
    await peer.next('welcome');
    return peer;
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  all<T extends FrameType>(type: T): FrameOf<T>[] {
    return this.frames.filter((f): f is FrameOf<T> => f.type === type);
  }

  next<T extends FrameType>(type: T, match: (f: FrameOf<T>) => boolean = () => true, timeoutMs = WAIT_MS): Promise<FrameOf<T>> {
    return waitFor(() => this.all(type).find(match), `a ${type} frame`, timeoutMs);
  }

  /** Sends a frame with a fresh reqId and waits for the reply carrying it (`expect`) or an error. */
  async request(frame: object, expect: FrameType): Promise<ServerFrame> {
    const reqId = `q${this.nextReq++}`;
    this.send({ ...frame, reqId });
    return waitFor(
      () => this.frames.find((f) => (f.type === expect || f.type === 'error') && 'reqId' in f && f.reqId === reqId),
      `the reply to ${reqId}`,
      WAIT_MS,
    );
  }

  /** Sends a chat (with `extra` fields such as `mentions`) and waits for its ack or error. */
  async chat(roomId: string, clientMsgId: string, text = 'hi', extra: object = {}): Promise<ServerFrame> {
    this.send({ ...extra, type: 'chat', roomId, clientMsgId, text });
    return waitFor(
      () => this.frames.find((f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId),
      `the reply to chat ${clientMsgId}`,
      WAIT_MS,
    );
  }

  /** The messages received in a room, from `message` and `messages` frames, in arrival order. */
  messages(roomId: string): { seq: number; text: string; userId: string; deleted?: true | undefined }[] {
    const out: { seq: number; text: string; userId: string; deleted?: true | undefined }[] = [];
    for (const f of this.frames) {
      if (f.type === 'message' && f.roomId === roomId) out.push(f);
      else if (f.type === 'messages' && f.roomId === roomId) out.push(...f.messages);
    }
    return out;
  }

  whenClosed(timeoutMs = WAIT_MS): Promise<{ code: number; reason: string }> {
    return waitFor(() => this.closed, 'the socket to close', timeoutMs);
  }

  close(): void {
    this.ws.terminate();
  }
}
