import { encodeHistogram } from './histogram';
import type { InitMessage, MemberEnd, ResultMessage, RoomReport, WorkerMessage } from './ipc';
import type { LoadOptions } from './options';
import { chatText, type ConnectionSpec, type WorkerPlan } from './plan';
import { WorkerStats } from './stats';
import { CentrifugoLoadConnection } from './targets/centrifugo';
import {
  ConnectFailure,
  type DriverContext,
  type LoadConnection,
  type RoomAccount,
} from './targets/load-connection';
import { RoomcastLoadConnection } from './targets/roomcast';
import { createTokenSource } from './tokens';

/** Send loop period: due messages are computed from elapsed time, so the rate holds at any period. */
const SEND_TICK_MS = 5;
const SAMPLE_INTERVAL_MS = 1000;
const ACK_POLL_MS = 50;
const CLOSE_WAIT_MS = 3000;

export type ConnectionFactory = (
  spec: ConnectionSpec,
  ctx: DriverContext,
  room: RoomAccount,
) => LoadConnection;

export function connectionFactory(target: LoadOptions['target']): ConnectionFactory {
  return target === 'centrifugo'
    ? (spec, ctx, room) => new CentrifugoLoadConnection(spec, ctx, room)
    : (spec, ctx, room) => new RoomcastLoadConnection(spec, ctx, room);
}

interface RoomSlot extends RoomAccount {
  room: number;
  roomId: string;
  members: number;
  likers: LoadConnection[];
  likeCursor: number;
  likesPerSec: number;
  likesDone: number;
}

/**
 * The part of the run one process carries: opens its connections on the ramp schedule, sends its
 * senders' chats and its share of likes, counts every frame, and reports per-second samples and
 * a final result to the coordinator through `post`.
 */
export class LoadWorker {
  readonly stats = new WorkerStats();
  private options!: LoadOptions;
  private plan!: WorkerPlan;
  private t0 = 0;
  private connections: LoadConnection[] = [];
  private readonly rooms = new Map<number, RoomSlot>();
  private settled = 0;
  private rampIndex = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private sampleK = 1;
  private senders: { conn: LoadConnection; sent: number; total: number; giftsSent: number; giftsTotal: number }[] = [];
  private sendLoop: ReturnType<typeof setInterval> | null = null;
  private finished = false;

  constructor(
    private readonly post: (m: WorkerMessage) => void,
    private readonly factory?: ConnectionFactory,
  ) {}

  init(msg: InitMessage): void {
    this.options = msg.options;
    this.plan = msg.plan;
    this.t0 = msg.t0;
    const ctx: DriverContext = {
      stats: this.stats,
      text: chatText(this.options.sizeBytes),
      requestTimeoutMs: this.options.requestTimeoutMs,
      protocol: this.options.protocol,
      resume: this.options.resume,
      urls: this.options.urls,
    };
    const make = this.factory ?? connectionFactory(this.options.target);
    for (const spec of this.plan.connections) {
      let slot = this.rooms.get(spec.room);
      if (slot === undefined) {
        slot = {
          room: spec.room,
          roomId: spec.roomId,
          acked: 0,
          rejected: 0,
          maxSeq: 0,
          members: 0,
          likers: [],
          likeCursor: 0,
          likesPerSec: this.plan.likesPerSecByRoom[spec.room] ?? 0,
          likesDone: 0,
        };
        this.rooms.set(spec.room, slot);
      }
      this.connections.push(make(spec, ctx, slot));
    }
    this.connections.sort((a, b) => a.spec.startOffsetMs - b.spec.startOffsetMs);
    this.scheduleSample();
    if (this.connections.length === 0) this.post({ type: 'ready', joined: 0, failed: 0 });
    else this.rampTick();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(t);
  }

  // ------------------------------------------------------------------ ramp

  private rampTick(): void {
    if (this.finished) return;
    const elapsed = Date.now() - this.t0;
    const tokens = this.tokenSource();
    while (this.rampIndex < this.connections.length) {
      const conn = this.connections[this.rampIndex] as LoadConnection;
      if (conn.spec.startOffsetMs > elapsed) break;
      this.rampIndex++;
      void this.open(conn, tokens);
    }
    const next = this.connections[this.rampIndex];
    if (next !== undefined) this.later(() => this.rampTick(), next.spec.startOffsetMs - elapsed);
  }

  private tokenSourceCache: ReturnType<typeof createTokenSource> | undefined;
  private tokenSource(): ReturnType<typeof createTokenSource> {
    const o = this.options;
    this.tokenSourceCache ??= createTokenSource(
      o.tokenSecret,
      Math.ceil(o.rampSec + o.durationSec + o.drainSec) + 3600,
    );
    return this.tokenSourceCache;
  }

  private async open(conn: LoadConnection, tokens: ReturnType<typeof createTokenSource>): Promise<void> {
    this.stats.counters.connectAttempts++;
    try {
      const token = await tokens(conn.spec.userId, conn.spec.url);
      await conn.start(token);
    } catch (err) {
      this.stats.recordConnectFailure(err instanceof ConnectFailure ? err.key : 'TOKEN');
    }
    this.settled++;
    if (this.settled === this.connections.length) {
      this.post({
        type: 'ready',
        joined: this.stats.counters.joined,
        failed: this.stats.counters.connectFailed,
      });
    }
  }

  // ------------------------------------------------------------------ samples

  private scheduleSample(): void {
    const k = this.sampleK;
    this.later(
      () => {
        if (this.finished) return;
        this.post({ type: 'sample', sample: this.stats.takeSample(k), counters: { ...this.stats.counters } });
        this.sampleK++;
        this.scheduleSample();
      },
      this.t0 + k * SAMPLE_INTERVAL_MS - Date.now(),
    );
  }

  // ------------------------------------------------------------------ sending

  /** Marks the expected receivers (joined and open now) and starts sending at `startAt` (epoch ms). */
  startSending(startAt: number): void {
    const o = this.options;
    const perSender = Math.round(o.rate * o.durationSec);
    const giftsPerSender = Math.round(o.giftsPerSec * o.durationSec);
    for (const conn of this.connections) {
      if (conn.state !== 'joined') continue;
      conn.counted = true;
      const slot = this.rooms.get(conn.spec.room) as RoomSlot;
      slot.members++;
      if (conn.spec.role === 'sender')
        this.senders.push({ conn, sent: 0, total: perSender, giftsSent: 0, giftsTotal: giftsPerSender });
      else slot.likers.push(conn);
    }
    this.later(() => {
      this.sendLoop = setInterval(() => this.sendTick(startAt), SEND_TICK_MS);
      this.sendTick(startAt);
    }, startAt - Date.now());
  }

  private sendTick(startAt: number): void {
    const o = this.options;
    const durationMs = o.durationSec * 1000;
    const elapsed = Math.min(Date.now() - startAt, durationMs);
    let pending = false;
    for (const s of this.senders) {
      // The first message goes at 0, then one every 1/rate s.
      const due = Math.min(s.total, Math.floor((elapsed * o.rate) / 1000) + 1);
      while (s.sent < due) {
        s.sent++;
        s.conn.chat(`${s.conn.spec.index.toString(36)}-${s.sent.toString(36)}`, nowMsForSend());
      }
      // Gifts on their own schedule, the first at 0 like chat (clientMsgIds apart: `g` prefix).
      const giftsDue = Math.min(s.giftsTotal, Math.floor((elapsed * o.giftsPerSec) / 1000) + 1);
      while (s.giftsSent < giftsDue) {
        s.giftsSent++;
        s.conn.gift(`g${s.conn.spec.index.toString(36)}-${s.giftsSent.toString(36)}`, nowMsForSend());
      }
      if (s.sent < s.total || s.giftsSent < s.giftsTotal) pending = true;
    }
    for (const slot of this.rooms.values()) {
      if (slot.likesPerSec <= 0 || slot.likers.length === 0) continue;
      const due = Math.floor((elapsed * slot.likesPerSec) / 1000);
      for (let tries = 0; slot.likesDone < due && tries < slot.likers.length * 2; tries++) {
        const liker = slot.likers[slot.likeCursor++ % slot.likers.length] as LoadConnection;
        if (liker.like()) slot.likesDone++;
      }
      // Likers all closed: give up the rest instead of spinning.
      if (slot.likesDone < due) slot.likesDone = due;
    }
    if (elapsed >= durationMs && !pending) {
      if (this.sendLoop !== null) clearInterval(this.sendLoop);
      this.sendLoop = null;
      this.waitForAcks(Date.now());
    }
  }

  private waitForAcks(since: number): void {
    const c = this.stats.counters;
    const open = c.chatsSent - c.chatsAcked - c.chatsFailed;
    // The SDK times requests out on its own; Centrifugo publishes get the same deadline here.
    if (open > 0 && Date.now() - since < this.options.requestTimeoutMs + 1000) {
      this.later(() => this.waitForAcks(since), ACK_POLL_MS);
      return;
    }
    this.post({ type: 'sendDone', rooms: this.roomReports(false) });
  }

  private roomReports(withEnds: boolean): RoomReport[] {
    const ends = new Map<number, MemberEnd[]>();
    if (withEnds) {
      for (const conn of this.connections) {
        if (!conn.counted) continue;
        let list = ends.get(conn.spec.room);
        if (list === undefined) ends.set(conn.spec.room, (list = []));
        list.push({
          max: conn.tracker.max,
          holes: conn.tracker.openHoles,
          thinned: conn.tracker.thinned,
          closed: conn.state === 'closed',
        });
      }
    }
    return [...this.rooms.values()].map((s) => ({
      room: s.room,
      roomId: s.roomId,
      members: s.members,
      acked: s.acked,
      rejected: s.rejected,
      maxSeq: s.maxSeq,
      ends: ends.get(s.room) ?? [],
    }));
  }

  /** Cumulative messages received (for the coordinator's drain check). */
  delivered(): number {
    return this.stats.counters.delivered;
  }

  /** Cumulative seqs thinned by the server: they settle expected deliveries as well. */
  thinned(): number {
    return this.stats.counters.thinned;
  }

  /** Closes every connection and returns the final report. */
  async finish(): Promise<ResultMessage> {
    // Member ends are taken BEFORE closing (closes the tool makes are not the server's doing),
    // and counting stops at the same instant so delivered and the ends agree.
    this.stats.frozen = true;
    const rooms = this.roomReports(true);
    this.finished = true;
    if (this.sendLoop !== null) clearInterval(this.sendLoop);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const conn of this.connections) conn.close();
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.stats.counters.open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const c = this.stats.counters;
    c.chatsUnacked = Math.max(0, c.chatsSent - c.chatsAcked - c.chatsFailed);
    const k = Math.max(1, Math.ceil((Date.now() - this.t0) / SAMPLE_INTERVAL_MS));
    return {
      type: 'result',
      counters: { ...c },
      rooms,
      finalSample: this.stats.takeSample(Math.max(k, this.sampleK)),
      closesByCode: this.stats.closesByCode,
      connectFailuresByCode: this.stats.connectFailuresByCode,
      errorsByCode: this.stats.errorsByCode,
      welcomeProtocols: this.stats.welcomeProtocols,
      connectUs: encodeHistogram(this.stats.connectUs),
      joinUs: encodeHistogram(this.stats.joinUs),
      ackUs: encodeHistogram(this.stats.ackUs),
      recoveredUs: encodeHistogram(this.stats.recoveredUs),
      giftUs: encodeHistogram(this.stats.giftUs),
    };
  }
}

/** sentAt for a chat: wall clock with sub-ms precision (rounded to ms on the wire). */
function nowMsForSend(): number {
  return performance.timeOrigin + performance.now();
}
