import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CLOSE_CODES, ClientFrame, negotiateProtocol, PROTOCOL_QUERY_PARAM, textFrame } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';

/**
 * A stand-in gateway that does as little as possible, so that driving it with roomcast-load
 * measures the load generator's own ceiling (how many messages and frames per second the tool can
 * read), not a server. It speaks just enough of the roomcast protocol for the tool: `welcome` on
 * connect (any token is accepted), `joined` / `left`, `ack` for every chat, `pong` for `ping`;
 * likes are counted and dropped. Each room's chats are broadcast to its members once per window:
 *
 * - protocol 2 members get one `messages` frame per flush, in the gateway's exact shape (keys in
 *   the gateway's order, so the tool's scanner reads it), encoded and WebSocket-framed ONCE and
 *   written as the same bytes to every member's TCP socket;
 * - protocol 1 members get the flush's `message` frames, framed once and concatenated into one
 *   buffer written to every v1 member.
 *
 * Per chat: one JSON.parse (of the chat frame), one item string, one ack. Per flush: one string,
 * one Buffer. Per member socket and flush: one `socket.write` of shared bytes. With `thinEvery`
 * k > 0, every seq divisible by k is left out of v2 frames and counted in their `thinned` (for
 * every member alike — unlike the gateway, which gives senders their own messages back).
 */

/** Options of `startStubServer`; every field has a default. */
export interface StubServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 = a free one. Default 0. */
  port?: number;
  /** WebSocket path. Default `/ws`. */
  path?: string;
  /** Longest a chat waits for its room's flush, ms. Default 10. */
  windowMs?: number;
  /** A room flushes at once when this many chats wait. Default 100. */
  maxBatch?: number;
  /** Leave every seq divisible by this out of `messages` frames (thinned); 0 = never. Default 0. */
  thinEvery?: number;
  /**
   * Close a member with 4001 (slow consumer) when its unsent bytes pass this. Default 4 MiB, the
   * gateway's WS_SEND_HARD_LIMIT_BYTES default: a generator that falls that far behind is past its
   * ceiling, and the run shows it as closes rather than as the stub buffering gigabytes.
   */
  maxBufferedBytes?: number;
}

/** What the stub did since it started. */
export interface StubStats {
  connections: number;
  open: number;
  chats: number;
  likes: number;
  /** Room flushes (each writes one frame, or one v1 buffer, to every member). */
  flushes: number;
  /** Socket writes of message frames (one per member per flush). */
  frameWrites: number;
  /** Messages written, summed over members (a v2 frame of n items to m members counts n × m). */
  messagesOut: number;
  /** Seqs left out of v2 frames, summed over members. */
  thinnedOut: number;
  slowConsumerCloses: number;
}

export interface StubServer {
  /** `ws://host:port/path`: what `roomcast-load --url` takes. */
  readonly url: string;
  readonly port: number;
  stats(): StubStats;
  /** Flushes what waits, closes every socket (1001) and stops listening. */
  close(): Promise<void>;
}

export const STUB_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  path: '/ws',
  windowMs: 10,
  maxBatch: 100,
  thinEvery: 0,
  maxBufferedBytes: 4 * 2 ** 20,
} as const;

/** The gateway's close code for a malformed upgrade request (a bad `protocol` value). */
const BAD_REQUEST_CLOSE = CLOSE_CODES.BAD_REQUEST;
const GOING_AWAY_CLOSE = 1001;
const HEARTBEAT_MS = 30_000;
interface Member {
  readonly ws: WebSocket;
  readonly socket: Duplex;
  readonly protocol: 1 | 2;
  readonly userIdJson: string;
  readonly rooms: Set<StubRoom>;
  closed: boolean;
}

class StubRoom {
  /** Last seq given out. */
  seq = 0;
  /** Last seq written to members: `joined.lastSeq`; pending holds flushedSeq+1 .. seq. */
  flushedSeq = 0;
  readonly v1 = new Set<Member>();
  readonly v2 = new Set<Member>();
  /** Encoded items (`{"seq":..}`), in seq order. */
  readonly pending: string[] = [];
  timer: ReturnType<typeof setTimeout> | null = null;
  /** Bound once per room, so scheduling a flush allocates no closure. */
  readonly flushBound: () => void;

  constructor(
    readonly roomIdJson: string,
    private readonly hub: StubHub,
  ) {
    this.flushBound = () => this.hub.flush(this);
  }
}

/** The stub's state and hot paths (module-level handlers call into it; no closures per event). */
class StubHub {
  readonly rooms = new Map<string, StubRoom>();
  readonly members = new Set<Member>();
  private sessions = 0;
  readonly counters: StubStats = {
    connections: 0,
    open: 0,
    chats: 0,
    likes: 0,
    flushes: 0,
    frameWrites: 0,
    messagesOut: 0,
    thinnedOut: 0,
    slowConsumerCloses: 0,
  };

  constructor(private readonly o: Required<StubServerOptions>) {}

  connect(ws: WebSocket, socket: Duplex, protocol: 1 | 2): void {
    const n = ++this.sessions;
    const userId = `stub-u${n}`;
    const member: Member = {
      ws,
      socket,
      protocol,
      userIdJson: JSON.stringify(userId),
      rooms: new Set(),
      closed: false,
    };
    this.members.add(member);
    this.counters.connections++;
    this.counters.open++;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(member, data, isBinary));
    ws.on('close', () => this.disconnect(member));
    ws.on('error', () => this.disconnect(member));
    ws.send(
      `{"type":"welcome","protocol":${protocol},"sessionId":"stub-s${n}","userId":"${userId}","gatewayId":"stub","heartbeatMs":${HEARTBEAT_MS}}`,
    );
  }

  private disconnect(m: Member): void {
    if (m.closed) return;
    m.closed = true;
    this.counters.open--;
    this.members.delete(m);
    for (const room of m.rooms) (m.protocol === 2 ? room.v2 : room.v1).delete(m);
    m.rooms.clear();
  }

  private onFrame(m: Member, data: RawData, isBinary: boolean): void {
    let raw: unknown;
    try {
      raw = isBinary ? undefined : JSON.parse(String(data));
    } catch {
      raw = undefined;
    }
    const parsed = ClientFrame.safeParse(raw);
    if (!parsed.success) {
      m.ws.send(
        JSON.stringify({ type: 'error', code: 'BAD_FRAME', message: 'not a client frame', temporary: false }),
      );
      return;
    }
    const f = parsed.data;
    switch (f.type) {
      case 'chat':
        this.onChat(m, f.roomId, f.clientMsgId, f.text, f.sentAt);
        return;
      case 'join': {
        const room = this.room(f.roomId);
        (m.protocol === 2 ? room.v2 : room.v1).add(m);
        m.rooms.add(room);
        m.ws.send(
          JSON.stringify({ type: 'joined', roomId: f.roomId, reqId: f.reqId, lastSeq: room.flushedSeq }),
        );
        return;
      }
      case 'leave': {
        const room = this.rooms.get(f.roomId);
        if (room !== undefined) {
          (m.protocol === 2 ? room.v2 : room.v1).delete(m);
          m.rooms.delete(room);
        }
        m.ws.send(JSON.stringify({ type: 'left', roomId: f.roomId, reqId: f.reqId }));
        return;
      }
      case 'like':
        this.counters.likes += f.count;
        return;
      case 'ping':
        m.ws.send(JSON.stringify({ type: 'pong', reqId: f.reqId, serverTime: Date.now() }));
        return;
    }
  }

  private room(roomId: string): StubRoom {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = new StubRoom(JSON.stringify(roomId), this);
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private onChat(
    m: Member,
    roomId: string,
    clientMsgId: string,
    text: string,
    sentAt: number | undefined,
  ): void {
    this.counters.chats++;
    const room = this.room(roomId);
    const seq = ++room.seq;
    const acceptedAt = Date.now();
    const clientMsgIdJson = JSON.stringify(clientMsgId);
    // The item exactly as the gateway encodes it (keys in this order), built once per chat.
    room.pending.push(
      `{"seq":${seq},"id":"stub-${seq}","userId":${m.userIdJson},"clientMsgId":${clientMsgIdJson},` +
        `"text":${JSON.stringify(text)},"masked":false,"sentAt":${sentAt ?? acceptedAt},"acceptedAt":${acceptedAt}}`,
    );
    m.ws.send(`{"type":"ack","roomId":${room.roomIdJson},"clientMsgId":${clientMsgIdJson}}`);
    if (room.pending.length >= this.o.maxBatch) this.flush(room);
    else room.timer ??= setTimeout(room.flushBound, this.o.windowMs);
  }

  /** Writes the room's waiting messages to every member: one shared buffer per protocol. */
  flush(room: StubRoom): void {
    if (room.timer !== null) {
      clearTimeout(room.timer);
      room.timer = null;
    }
    const items = room.pending;
    const n = items.length;
    if (n === 0) return;
    const fromSeq = room.flushedSeq + 1;
    const toSeq = room.seq;
    this.counters.flushes++;
    if (room.v2.size > 0) {
      let thinned = 0;
      let body: string;
      if (this.o.thinEvery === 0) body = items.join(',');
      else {
        body = '';
        for (let i = 0; i < n; i++) {
          if ((fromSeq + i) % this.o.thinEvery === 0) thinned++;
          else body += body === '' ? (items[i] as string) : `,${items[i] as string}`;
        }
      }
      const frame = textFrame(
        `{"type":"messages","roomId":${room.roomIdJson},"fromSeq":${fromSeq},"toSeq":${toSeq},"thinned":${thinned},"messages":[${body}]}`,
      );
      this.writeAll(room.v2, frame, n - thinned, thinned);
    }
    if (room.v1.size > 0) {
      const frames: Buffer[] = [];
      const prefix = `{"type":"message","roomId":${room.roomIdJson},`;
      for (let i = 0; i < n; i++) frames.push(textFrame(prefix + (items[i] as string).slice(1)));
      this.writeAll(room.v1, n === 1 ? (frames[0] as Buffer) : Buffer.concat(frames), n, 0);
    }
    items.length = 0;
    room.flushedSeq = toSeq;
  }

  private writeAll(members: Set<Member>, bytes: Buffer, messages: number, thinned: number): void {
    const c = this.counters;
    for (const m of members) {
      m.socket.write(bytes);
      c.frameWrites++;
      c.messagesOut += messages;
      c.thinnedOut += thinned;
      if (m.socket.writableLength > this.o.maxBufferedBytes) {
        c.slowConsumerCloses++;
        m.ws.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
        this.disconnect(m);
      }
    }
  }

  flushAll(): void {
    for (const room of this.rooms.values()) this.flush(room);
  }
}

function onHttp(req: IncomingMessage, res: ServerResponse): void {
  // The tool's token fallback (no --token-secret): any token will do.
  if (req.method === 'POST' && req.url === '/dev/token') {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"stub"}');
    return;
  }
  res.writeHead(404).end();
}

function checkOptions(o: Required<StubServerOptions>): void {
  const bad: string[] = [];
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) bad.push(`port must be 0..65535: ${o.port}`);
  if (!(o.windowMs >= 0)) bad.push(`windowMs must be >= 0: ${o.windowMs}`);
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1)
    bad.push(`maxBatch must be an integer >= 1: ${o.maxBatch}`);
  if (!Number.isInteger(o.thinEvery) || o.thinEvery < 0 || o.thinEvery === 1)
    bad.push(`thinEvery must be 0 or an integer >= 2: ${o.thinEvery}`);
  if (!(o.maxBufferedBytes > 0)) bad.push(`maxBufferedBytes must be > 0: ${o.maxBufferedBytes}`);
  if (!o.path.startsWith('/')) bad.push(`path must start with /: ${o.path}`);
  if (bad.length > 0) throw new AppError('CONFIG_INVALID', `stub server: ${bad.join('; ')}`);
}

/**
 * Starts the stub on `host:port` (port 0 = a free one). Throws AppError CONFIG_INVALID on bad
 * options; rejects when it cannot listen.
 */
export async function startStubServer(options: StubServerOptions = {}): Promise<StubServer> {
  const o: Required<StubServerOptions> = { ...STUB_DEFAULTS, ...options };
  checkOptions(o);
  const hub = new StubHub(o);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  const http: Server = createServer(onHttp);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    if (url.pathname !== o.path) {
      socket.destroy();
      return;
    }
    const protocol = negotiateProtocol(url.searchParams.get(PROTOCOL_QUERY_PARAM));
    // Upgrade even when refusing, so the client sees a close code (as the gateway does).
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (protocol === undefined)
        ws.close(BAD_REQUEST_CLOSE, `${PROTOCOL_QUERY_PARAM} must be a positive integer`);
      else hub.connect(ws, socket, protocol);
    });
  });
  http.listen(o.port, o.host);
  await once(http, 'listening');
  const port = (http.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `ws://${host}:${port}${o.path}`,
    port,
    stats: () => ({ ...hub.counters }),
    close: async () => {
      hub.flushAll();
      for (const m of hub.members) m.ws.close(GOING_AWAY_CLOSE, 'stub closing');
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      // Sockets that do not answer the close handshake in time are cut.
      const deadline = setTimeout(() => {
        for (const m of hub.members) m.ws.terminate();
      }, 2000);
      await closed;
      clearTimeout(deadline);
      wss.close();
    },
  };
}
