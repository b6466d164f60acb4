/**
 * The sockets of the protocol fuzz test (test/protocol-fuzz.int.test.ts): fuzz sockets that send
 * FrameFuzzer cases and check each reply against the case's expectation, and viewers that check
 * the seq order of a room's messages while the fuzzing goes on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket, { type RawData } from 'ws';
import { ServerFrame, type MessageFrame } from '@roomcast/contracts';
import { waitFor } from '@roomcast/testing';
import { DOCUMENTED_FRAME_ERRORS, type Expectation, type FrameFuzzer, type FuzzCase } from './frame-fuzz';

/** Failures of a run: counted by kind, the first few of each kept with their details. */
export class FailureLog {
  readonly byKind = new Map<string, number>();
  readonly kept: string[] = [];
  count = 0;

  constructor(
    private readonly keepPerKind = 3,
    private readonly keep = 30,
  ) {}

  add(kind: string, message: string): void {
    this.count++;
    const n = (this.byKind.get(kind) ?? 0) + 1;
    this.byKind.set(kind, n);
    if (n <= this.keepPerKind && this.kept.length < this.keep) this.kept.push(`[${kind}] ${message}`);
  }
}

/** Outcomes per family: `error:BAD_FRAME`, `pong`, `close:1009`, `none`, ... */
export class OutcomeTally {
  readonly byFamily = new Map<string, Map<string, number>>();

  add(family: string, outcome: string): void {
    let m = this.byFamily.get(family);
    if (!m) this.byFamily.set(family, (m = new Map()));
    m.set(outcome, (m.get(outcome) ?? 0) + 1);
  }

  /** Totals per outcome over all families. */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.byFamily.values()) for (const [k, n] of m) out[k] = (out[k] ?? 0) + n;
    return out;
  }

  toJSON(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [family, m] of [...this.byFamily].sort(([a], [b]) => a.localeCompare(b)))
      out[family] = Object.fromEntries(m);
    return out;
  }
}

const MIB = 1024 * 1024;

/** Memory of a process right after a full garbage collection, MiB. */
export interface HeapReading {
  rssMiB: number;
  heapUsedMiB: number;
  /** Memory of C++ objects bound to JS ones: Buffers (ArrayBuffers) mostly. */
  externalMiB: number;
}

/** Env that preloads heap-probe.cjs into a service process started by the harness (startService). */
export function heapProbeEnv(file: string): Record<string, string> {
  const probe = join(__dirname, 'heap-probe.cjs');
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --require ${probe}`.trim(),
    ROOMCAST_HEAP_PROBE_FILE: file,
  };
}

/** Has the process collect its garbage (SIGUSR2 to heap-probe.cjs) and reads its memory after. */
export async function heapAfterGc(pid: number, file: string): Promise<HeapReading> {
  const lines = (): string[] =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const before = lines().length;
  process.kill(pid, 'SIGUSR2');
  const line = await waitFor(() => lines()[before], `the heap probe of pid ${pid}`, 10_000, 20);
  const m = JSON.parse(line) as { rss: number; heapUsed: number; external: number };
  return { rssMiB: m.rss / MIB, heapUsedMiB: m.heapUsed / MIB, externalMiB: m.external / MIB };
}

/** Resident set size of a process, in MiB (Linux: /proc/<pid>/status VmRSS); NaN once it is gone. */
export function rssMiB(pid: number): number {
  const status = `/proc/${pid}/status`;
  const m = existsSync(status) ? /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(status, 'utf8')) : null;
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A case for a failure message: family, expectation and the first bytes of the payload. */
export function describeCase(c: FuzzCase): string {
  const bytes = typeof c.payload === 'string' ? Buffer.from(c.payload) : c.payload;
  const head = bytes.subarray(0, 160);
  const shown = typeof c.payload === 'string' ? JSON.stringify(head.toString()) : `0x${head.toString('hex')}`;
  return `${c.family} (${c.binary ? 'binary' : 'text'}, ${bytes.length} B${c.splits ? `, ${c.splits.length + 1} fragments` : ''}) ${shown}${bytes.length > 160 ? '…' : ''} expecting ${JSON.stringify(c.expect)}`;
}

const REPLY_TYPES = new Set(['error', 'pong', 'joined', 'left', 'ack', 'refreshed']);
/**
 * Frames a socket gets without asking: counters, messages, rejections of its chats; the live room's
 * state and notices (room-state, mention), the inbox sent at connect, moderation notices.
 */
const UNSOLICITED_TYPES = new Set(['likes', 'online', 'message', 'messages', 'rejected', 'room-state', 'mention', 'inbox', 'room-mode', 'deleted']);

type Raw = Record<string, unknown>;

/** Why `reply` does not meet `expect`, or undefined when it does. */
function mismatch(expect: Expectation, reply: Raw): string | undefined {
  const want: Raw = { type: expect.kind === 'none' || expect.kind === 'close' ? '(nothing)' : expect.kind };
  switch (expect.kind) {
    case 'error':
      Object.assign(want, {
        code: expect.code,
        temporary: DOCUMENTED_FRAME_ERRORS[expect.code].temporary,
        reqId: expect.reqId,
        clientMsgId: expect.clientMsgId,
      });
      break;
    case 'pong':
    case 'refreshed':
      want.reqId = expect.reqId;
      break;
    case 'joined':
    case 'left':
      Object.assign(want, { roomId: expect.roomId, reqId: expect.reqId });
      break;
    case 'ack':
      Object.assign(want, { roomId: expect.roomId, clientMsgId: expect.clientMsgId });
      break;
    default:
      return `got ${reply.type} where no reply was due`;
  }
  // undefined = must be absent: a reply echoes nothing it was not asked to.
  for (const [k, v] of Object.entries(want))
    if (reply[k] !== v) return `${k}: want ${JSON.stringify(v)}, got ${JSON.stringify(reply[k])}`;
  return undefined;
}

function expectLabel(e: Expectation): string {
  return e.kind === 'error' ? `error:${e.code}` : e.kind === 'close' ? `close:${e.code}` : e.kind;
}

function outcomeOf(reply: Raw): string {
  return reply.type === 'error' ? `error:${String(reply.code)}` : String(reply.type);
}

export interface FuzzSocketOptions {
  /** ws URL with the token of `userId`. */
  url: string;
  name: string;
  fuzzer: FrameFuzzer;
  /** Frames in flight before waiting for replies. */
  window: number;
  /** Longest wait for a reply or a close, ms. */
  replyTimeoutMs: number;
  tally: OutcomeTally;
  failures: FailureLog;
  /** Called for each case sent (the run's progress). */
  onSent(): void;
  /** Checks a message this socket got in one of its rooms (another fuzz socket's chat, or its own). */
  checkMessage(m: Omit<MessageFrame, 'type' | 'roomId'> & { roomId: string }): string | undefined;
}

/**
 * Sends cases in order, up to `window` in flight, and matches replies to them in order (the
 * gateway answers in the order frames came). After the first reply that does not match, the
 * socket is out of step with its cases: it is reopened (a new connection, no rooms) rather than
 * reporting every later reply as wrong too.
 */
export class FuzzSocket {
  private ws: WebSocket | undefined;
  private readonly pending: FuzzCase[] = [];
  private wake: (() => void) | undefined;
  private closedWith: number | undefined;
  private welcomed = false;
  private outOfStep = false;
  /** Set when the gateway cannot be reached any more: the run stops. */
  dead = false;
  sent = 0;
  /** Cases refused as frames: BAD_FRAME, FRAME_TOO_LARGE or a WebSocket close (the rest are valid frames). */
  malformed = 0;
  reconnects = 0;

  constructor(private readonly o: FuzzSocketOptions) {}

  /** Opens the socket and waits for `welcome`. */
  async open(): Promise<void> {
    this.closedWith = undefined;
    this.welcomed = false;
    this.outOfStep = false;
    this.pending.length = 0;
    const ws = new WebSocket(this.o.url);
    this.ws = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', (code: number) => {
      if (ws !== this.ws) return;
      this.closedWith = code;
      this.wake?.();
    });
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('error', () => resolve(false));
      ws.once('close', () => resolve(false));
      const check = (): void => (this.welcomed ? resolve(true) : void setTimeout(check, 2));
      ws.once('open', check);
    });
    if (!opened) {
      this.dead = true;
      throw new Error(`${this.o.name}: could not connect to ${this.o.url.replace(/token=[^&]+/, 'token=…')}`);
    }
  }

  close(): void {
    this.ws?.close();
  }

  /** Sends `quota` cases. */
  async run(quota: number): Promise<void> {
    while (this.sent < quota && !this.dead) {
      const c = this.o.fuzzer.next();
      if (c.expect.kind === 'close') {
        await this.runClosing(c);
        continue;
      }
      if (!(await this.settle(() => this.pending.length < this.o.window))) {
        await this.reopen();
        continue;
      }
      this.send(c);
      if (c.expect.kind === 'none') this.o.tally.add(c.family, 'none');
      else this.pending.push(c);
    }
    if (!this.dead) await this.settle(() => this.pending.length === 0);
  }

  /** A case that must close the socket: sent alone, after every earlier reply came. */
  private async runClosing(c: FuzzCase): Promise<void> {
    if (!(await this.settle(() => this.pending.length === 0))) await this.reopen();
    this.send(c);
    if (!(await this.until(() => this.closedWith !== undefined))) {
      this.o.failures.add(
        'not closed',
        `${this.o.name}: not closed within ${this.o.replyTimeoutMs} ms after ${describeCase(c)}`,
      );
    } else {
      this.o.tally.add(c.family, `close:${this.closedWith}`);
      if (c.expect.kind === 'close' && this.closedWith !== c.expect.code)
        this.o.failures.add(
          `want ${expectLabel(c.expect)}, got close:${this.closedWith}`,
          `${this.o.name}: closed with ${this.closedWith} after ${describeCase(c)}`,
        );
    }
    await this.reopen();
  }

  /**
   * Waits for `cond`; false (the failure recorded) when the socket closed, went out of step or
   * stalled first — then it must be reopened.
   */
  private async settle(cond: () => boolean): Promise<boolean> {
    const ok = await this.until(() => cond() || this.closedWith !== undefined || this.outOfStep);
    if (this.outOfStep) return false;
    if (this.closedWith !== undefined) {
      const head = this.pending[0];
      this.o.failures.add(
        `want ${head ? expectLabel(head.expect) : 'a reply'}, got close:${this.closedWith}`,
        `${this.o.name}: closed with ${this.closedWith} with ${this.pending.length} replies due; the oldest for ${head ? describeCase(head) : '(none)'}`,
      );
      this.o.tally.add(head?.family ?? 'unknown', `close:${this.closedWith}`);
      return false;
    }
    if (!ok) {
      const head = this.pending[0];
      this.o.failures.add(
        'no reply',
        `${this.o.name}: no reply within ${this.o.replyTimeoutMs} ms to ${head ? describeCase(head) : '(nothing pending)'}`,
      );
      return false;
    }
    return true;
  }

  private send(c: FuzzCase): void {
    const ws = this.ws as WebSocket;
    this.sent++;
    if (
      c.expect.kind === 'close' ||
      (c.expect.kind === 'error' && (c.expect.code === 'BAD_FRAME' || c.expect.code === 'FRAME_TOO_LARGE'))
    )
      this.malformed++;
    this.o.onSent();
    if (!c.splits || c.splits.length === 0) {
      ws.send(c.payload, { binary: c.binary });
      return;
    }
    const bytes = typeof c.payload === 'string' ? Buffer.from(c.payload) : c.payload;
    let from = 0;
    for (const at of [...c.splits, bytes.length]) {
      ws.send(bytes.subarray(from, at), { binary: c.binary, fin: at === bytes.length });
      from = at;
    }
  }

  /** A new connection (no rooms): the fuzzer's room model starts over too. */
  private async reopen(): Promise<void> {
    this.ws?.removeAllListeners('message');
    this.ws?.terminate();
    this.o.fuzzer.restart();
    this.reconnects++;
    await this.open();
  }

  private async until(cond: () => boolean): Promise<boolean> {
    const deadline = Date.now() + this.o.replyTimeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return true;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.outOfStep) return;
    const text = data.toString();
    let raw: Raw;
    try {
      raw = JSON.parse(text) as Raw;
    } catch (err) {
      this.o.failures.add(
        'server frame not JSON',
        `${this.o.name}: a server frame that is not JSON (${String(err)}): ${text.slice(0, 200)}`,
      );
      return;
    }
    const parsed = ServerFrame.safeParse(raw);
    const invalid = parsed.success
      ? undefined
      : `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`;
    if (isBinary)
      this.o.failures.add(
        'binary server frame',
        `${this.o.name}: a binary server frame: ${text.slice(0, 200)}`,
      );
    const type = String(raw.type);
    if (type === 'welcome' && !this.welcomed) {
      this.welcomed = true;
      if (invalid)
        this.o.failures.add(
          'welcome fails ServerFrame',
          `${this.o.name}: welcome fails ServerFrame (${invalid}): ${text.slice(0, 200)}`,
        );
      return;
    }
    if (UNSOLICITED_TYPES.has(type)) {
      if (invalid)
        this.o.failures.add(
          `${type} fails ServerFrame`,
          `${this.o.name}: ${type} fails ServerFrame (${invalid}): ${text.slice(0, 300)}`,
        );
      else this.checkUnsolicited(raw);
      return;
    }
    const c = this.pending.shift();
    if (!c || !REPLY_TYPES.has(type)) {
      this.o.failures.add(
        `unexpected ${type}`,
        `${this.o.name}: unexpected ${type} frame${c ? ` for ${describeCase(c)}` : ' (no frame pending)'}: ${text.slice(0, 300)}`,
      );
      this.outOfStep = true;
      this.wake?.();
      return;
    }
    const outcome = outcomeOf(raw);
    this.o.tally.add(c.family, outcome);
    const why = invalid ? `the reply fails ServerFrame (${invalid})` : mismatch(c.expect, raw);
    if (why) {
      const wanted = expectLabel(c.expect);
      const kind = invalid
        ? `reply fails ServerFrame at ${parsed.success ? '' : parsed.error.issues[0]?.path.join('.')}`
        : wanted === outcome
          ? `${outcome}: wrong ${why.split(':')[0]}`
          : `want ${wanted}, got ${outcome}`;
      this.o.failures.add(
        kind,
        `${this.o.name}: ${why} — for ${describeCase(c)}; reply ${text.slice(0, 300)}`,
      );
      // A missing or extra reply shifts every later one: start over on a new connection.
      if (wanted !== outcome) this.outOfStep = true;
    }
    this.wake?.();
  }

  private checkUnsolicited(raw: Raw): void {
    const roomId = String(raw.roomId);
    const list = raw.type === 'message' ? [raw] : raw.type === 'messages' ? (raw.messages as Raw[]) : [];
    for (const m of list) {
      const why = this.o.checkMessage({ ...(m as unknown as MessageFrame), roomId });
      if (why)
        this.o.failures.add(
          'forged message field',
          `${this.o.name}: message in ${roomId}: ${why}: ${JSON.stringify(m).slice(0, 300)}`,
        );
    }
  }
}

/**
 * A raw viewer of some rooms: every message must come in seq order with no gap from the `lastSeq`
 * of its `joined`, once; v2 batch frames must cover their range with nothing thinned. Optionally
 * also sends chats to one room at a fixed interval and checks their acks come in order.
 */
export class SeqViewer {
  readonly lastSeq = new Map<string, number>();
  /** clientMsgIds per room, in seq order. */
  readonly received = new Map<string, string[]>();
  /** Largest (receive time − acceptedAt), ms. */
  maxLagMs = 0;
  readonly sent: string[] = [];
  readonly acked: string[] = [];
  private ws: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly failures: FailureLog,
  ) {}

  /** Connects, joins `rooms` and waits for each `joined` (10 s at most). */
  async open(url: string, rooms: readonly string[]): Promise<void> {
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.on('message', (data: RawData) => this.onMessage(data.toString()));
    ws.on('close', (code: number) => {
      if (!this.stopping)
        this.failures.add('viewer closed', `${this.name}: closed with ${code} during the run`);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    rooms.forEach((roomId, i) => ws.send(JSON.stringify({ type: 'join', roomId, reqId: `v${i}` })));
    await waitFor(
      () => rooms.every((r) => this.lastSeq.has(r)),
      `${this.name} joined ${rooms.join(' ')}`,
      10_000,
      10,
    );
  }

  /** Sends a chat to `roomId` every `intervalMs` until stopSending(). */
  startSending(roomId: string, intervalMs: number): void {
    this.timer = setInterval(() => {
      const clientMsgId = `${this.name}-${this.sent.length}`;
      this.sent.push(clientMsgId);
      this.ws?.send(
        JSON.stringify({
          type: 'chat',
          roomId,
          clientMsgId,
          text: `live message ${this.sent.length}`,
          sentAt: Date.now(),
        }),
      );
    }, intervalMs);
  }

  stopSending(): void {
    clearInterval(this.timer);
  }

  close(): void {
    this.stopping = true;
    this.stopSending();
    this.ws?.close();
  }

  private onMessage(text: string): void {
    const parsed = ServerFrame.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.failures.add(
        'viewer frame fails ServerFrame',
        `${this.name}: frame fails ServerFrame: ${text.slice(0, 300)}`,
      );
      return;
    }
    const f = parsed.data;
    switch (f.type) {
      case 'joined':
        this.lastSeq.set(f.roomId, f.lastSeq);
        this.received.set(f.roomId, []);
        return;
      case 'message':
        this.take(f.roomId, f.seq, f.clientMsgId, f.acceptedAt);
        return;
      case 'messages': {
        if (f.thinned !== 0)
          this.failures.add(
            'viewer order',
            `${this.name}: ${f.thinned} thinned in ${f.roomId} (thinning is off)`,
          );
        const expectFrom = (this.lastSeq.get(f.roomId) ?? 0) + 1;
        if (f.fromSeq !== expectFrom)
          this.failures.add(
            'viewer order',
            `${this.name}: ${f.roomId} frame from ${f.fromSeq}, expected ${expectFrom}`,
          );
        for (const m of f.messages) this.take(f.roomId, m.seq, m.clientMsgId, m.acceptedAt);
        if (this.lastSeq.get(f.roomId) !== f.toSeq)
          this.failures.add(
            'viewer order',
            `${this.name}: ${f.roomId} frame to ${f.toSeq}, last message ${this.lastSeq.get(f.roomId)}`,
          );
        return;
      }
      case 'ack':
        if (f.clientMsgId !== this.sent[this.acked.length])
          this.failures.add(
            'sender ack order',
            `${this.name}: ack ${f.clientMsgId}, expected ${this.sent[this.acked.length]}`,
          );
        this.acked.push(f.clientMsgId);
        return;
      case 'error':
      case 'rejected':
        this.failures.add(`viewer got ${f.type}`, `${this.name}: ${text.slice(0, 300)}`);
        return;
      default:
        return;
    }
  }

  private take(roomId: string, seq: number, clientMsgId: string, acceptedAt: number): void {
    const last = this.lastSeq.get(roomId);
    if (last === undefined) {
      this.failures.add('viewer order', `${this.name}: a message of ${roomId} before joined`);
      return;
    }
    if (seq !== last + 1)
      this.failures.add('viewer order', `${this.name}: ${roomId} seq ${seq} after ${last}`);
    this.lastSeq.set(roomId, seq);
    this.received.get(roomId)?.push(clientMsgId);
    this.maxLagMs = Math.max(this.maxLagMs, Date.now() - acceptedAt);
  }
}

/**
 * Upgrades a raw TCP connection to a WebSocket by hand (the ws client cannot send malformed
 * frames), waits for `welcome`, writes `bytes`, and resolves with the code of the server's close
 * frame — or with what happened instead.
 */
export function rawCloseCode(url: string, bytes: Buffer, timeoutMs = 5000): Promise<number | string> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let sent = false;
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: number | string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(`no close frame within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (err) => finish(String(err)));
    socket.on('close', () => finish('TCP closed without a close frame'));
    socket.on('connect', () =>
      socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = buf.subarray(0, buf.indexOf('\r\n')).toString();
        if (!status.includes(' 101 ')) return finish(`handshake answered ${status}`);
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      // Server frames: unmasked, small.
      for (;;) {
        if (buf.length < 2) return;
        const opcode = (buf[0] as number) & 0x0f;
        let length = (buf[1] as number) & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buf.length < 4) return;
          length = buf.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buf.length < 10) return;
          length = Number(buf.readBigUInt64BE(2));
          offset = 10;
        }
        if (buf.length < offset + length) return;
        const payload = buf.subarray(offset, offset + length);
        buf = buf.subarray(offset + length);
        if (opcode === 0x8) return finish(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
        // The first text frame is `welcome`: the connection is set up, send the case.
        if (opcode === 0x1 && !sent) {
          sent = true;
          socket.write(bytes);
        }
      }
    });
  });
}
