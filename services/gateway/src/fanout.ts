import { textFrame, type ChatAcceptedV1 } from '@roomcast/contracts';
import { LATENCY_BUCKETS_SECONDS, SIZE_BUCKETS, type Counter, type Histogram, type MetricsRegistry } from '@roomcast/service-kit';
import { deliverHeld } from './catchup';
import type { Connection } from './connection';
import { TokenBucket } from '@roomcast/service-kit';
import type { RoomRegistry, RoomState } from './room-registry';
import type { ThinningPolicy } from './thinning';
import { encodeItem, messageFrameText, messagesFrameText } from './wire';

export interface FanoutOptions {
  /**
   * Longest a message waits for more of its room's messages, ms (`DELIVERY_WINDOW_MS`). The window
   * runs from the room's previous flush, so a room that was quiet flushes at the next tick.
   */
  windowMs: number;
  /**
   * Socket writes per second one room may cost (`DELIVERY_ROOM_WRITES_PER_SEC`). A flush costs one
   * write per member whatever it holds, so a room with N members here waits N / this seconds
   * between flushes (capped at `windowMs`): a two-viewer room does not wait at all, a crowded one
   * batches more.
   */
  roomWritesPerSec: number;
  /** A room's queue is flushed at once when it holds this many messages (`DELIVERY_MAX_BATCH`). */
  maxBatch: number;
  thinning: ThinningPolicy;
  /** Monotonic ms; tests pass their fake clock. Default performance.now. */
  clock?: () => number;
}

export interface FanoutMetrics {
  /** Message(s) frames written to sockets (one per socket per flush in v2). */
  frames: Counter;
  /** Messages written to sockets (each message once per socket). */
  messages: Counter;
  flushes: Counter;
  /** Messages left out by thinning, once per room flush (not per socket). */
  thinned: Counter;
  duplicates: Counter;
  gaps: Counter;
  /** Per message, once per flush: its `sentAt` (the sender's clock) to the end of the flush's writes, s. */
  e2eLatency: Histogram;
  /** Per message, once per flush: its `acceptedAt` (the filter's clock) to the end of the flush's writes, s. */
  deliveryLatency: Histogram;
  /** Sockets one flush was written to (the room's members here). */
  fanoutSockets: Histogram;
  /** Messages one flush carried. */
  flushMessages: Histogram;
}

/** The fan-out's metrics, registered in `metrics`. */
export function fanoutMetrics(metrics: MetricsRegistry): FanoutMetrics {
  return {
    frames: metrics.counter('roomcast_gateway_frames_delivered_total', 'message and messages frames written to sockets'),
    messages: metrics.counter('roomcast_gateway_messages_delivered_total', 'chat messages written to sockets (once per message per socket)'),
    flushes: metrics.counter('roomcast_gateway_flushes_total', 'room queue flushes (one frame per room per flush for v2 sockets)'),
    thinned: metrics.counter('roomcast_gateway_thinned_total', 'messages left out of live delivery by thinning, once per room flush'),
    duplicates: metrics.counter('roomcast_gateway_duplicate_deliveries_total', 'deliveries dropped as already delivered (seq <= last)'),
    gaps: metrics.counter('roomcast_gateway_seq_gaps_total', 'deliveries whose seq skipped ahead of the last delivered'),
    e2eLatency: metrics.histogram(
      'roomcast_gateway_e2e_latency_seconds',
      "end-to-end latency: a message's sentAt (sender's clock) to its flush to the room's sockets here, once per message",
      LATENCY_BUCKETS_SECONDS,
    ),
    deliveryLatency: metrics.histogram(
      'roomcast_gateway_delivery_latency_seconds',
      "a message's acceptedAt (filter) to its flush to the room's sockets here, once per message: server clocks only",
      LATENCY_BUCKETS_SECONDS,
    ),
    fanoutSockets: metrics.histogram('roomcast_gateway_fanout_sockets', 'sockets one room flush was written to', SIZE_BUCKETS),
    flushMessages: metrics.histogram('roomcast_gateway_flush_messages', 'messages one room flush carried', SIZE_BUCKETS),
  };
}

/** One queued accepted message, encoded once for every protocol. */
interface Queued {
  seq: number;
  userId: string;
  high: boolean;
  sentAt: number;
  acceptedAt: number;
  /** encodeItem(): the v2 batch item; the v1 frame is built from it. */
  item: string;
}

/** Delivery state of one room on this gateway; lives on its RoomState. */
export class RoomQueue {
  readonly roomIdJson: string;
  readonly roomId: string;
  items: Queued[] = [];
  /** Newest seq queued; an older or equal seq is a duplicate delivery. */
  queuedSeq: number;
  lastFlushAt = Number.NEGATIVE_INFINITY;
  scheduled = false;
  timer: NodeJS.Timeout | undefined;
  /** Per-room budget of ordinary chat per viewer, null when the room is not thinned. */
  readonly thin: TokenBucket | null;
  /** The timer callback, made once per room (not per message). */
  readonly onTimer: () => void;

  constructor(roomId: string, lastSeq: number, budgetPerSec: number, now: number, flush: () => void) {
    this.roomId = roomId;
    this.roomIdJson = JSON.stringify(roomId);
    this.queuedSeq = lastSeq;
    // Burst = one second of budget: a viewer never gets more than ~2 s worth in one second.
    this.thin = budgetPerSec > 0 ? new TokenBucket(budgetPerSec, Math.max(1, budgetPerSec), now) : null;
    this.onTimer = () => {
      this.timer = undefined;
      flush();
    };
  }
}

/**
 * Per-room batched delivery. A room's accepted messages are queued and flushed as ONE frame per
 * room per flush — a flush happens at most `windowMs` after the room's previous one, at once when
 * `maxBatch` messages wait or a high-priority message arrives, and at the next tick when the room
 * was quiet. Each flush is encoded and framed once (`textFrame`) and the same bytes are written
 * to every member socket that speaks protocol v2; v1 sockets get one pre-framed `message` frame
 * per message, shared the same way. Send budgets apply per frame (Connection.sendFramed).
 *
 * A flush is split where the seqs it holds are not consecutive (a lost delivery upstream), so
 * every frame covers a gapless range. Thinning (ThinningPolicy) leaves ordinary chat out of a
 * thinned room's frames above its budget — the same messages for every viewer, counted in the
 * frame's `thinned` — except that each sender still gets their own messages.
 */
export class RoomFanout {
  private readonly clock: () => number;
  private due: RoomState[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private readonly flushDue = (): void => {
    this.immediate = undefined;
    const rooms = this.due;
    this.due = [];
    for (const state of rooms) this.flush(state);
  };

  constructor(
    private readonly registry: RoomRegistry,
    private readonly options: FanoutOptions,
    private readonly metrics: FanoutMetrics,
  ) {
    this.clock = options.clock ?? (() => performance.now());
  }

  /**
   * Queues one accepted message for its room. Returns the room's member count on this gateway
   * (0 when the room has none here, or the seq was already delivered: a duplicate).
   */
  enqueue(m: ChatAcceptedV1): number {
    const state = this.registry.rooms.get(m.roomId);
    if (state === undefined) return 0;
    const q = (state.queue ??= new RoomQueue(
      m.roomId,
      state.lastSeq,
      this.options.thinning.budgetFor(m.roomId),
      this.clock(),
      () => this.flush(state),
    ));
    if (m.seq <= q.queuedSeq) {
      this.metrics.duplicates.inc();
      return 0;
    }
    if (q.queuedSeq > 0 && m.seq > q.queuedSeq + 1) this.metrics.gaps.inc();
    q.queuedSeq = m.seq;
    const high = m.priority === 'high';
    q.items.push({ seq: m.seq, userId: m.userId, high, sentAt: m.sentAt, acceptedAt: m.acceptedAt, item: encodeItem(m) });
    if (high || q.items.length >= this.options.maxBatch) this.flush(state);
    else this.schedule(state, q);
    return state.members.size;
  }

  /** Flushes every room's queue now (shutdown: finish the deliveries in flight). */
  flushAll(): void {
    for (const state of this.registry.rooms.values()) this.flush(state);
    this.due = [];
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private windowFor(members: number): number {
    return Math.min(this.options.windowMs, (members * 1000) / this.options.roomWritesPerSec);
  }

  private schedule(state: RoomState, q: RoomQueue): void {
    if (q.scheduled) return;
    q.scheduled = true;
    const wait = q.lastFlushAt + this.windowFor(state.members.size) - this.clock();
    if (wait >= 1) {
      q.timer = setTimeout(q.onTimer, wait);
      return;
    }
    // Due now: flush after the rest of this tick (the rest of the Kafka batch) has been queued.
    this.due.push(state);
    this.immediate ??= setImmediate(this.flushDue);
  }

  /** Sends what the room's queue holds. */
  flush(state: RoomState): void {
    const q = state.queue;
    if (q === undefined) return;
    q.scheduled = false;
    if (q.timer !== undefined) {
      clearTimeout(q.timer);
      q.timer = undefined;
    }
    const items = q.items;
    if (items.length === 0) return;
    q.items = [];
    q.lastFlushAt = this.clock();
    this.metrics.flushes.inc();
    let start = 0;
    for (let i = 1; i < items.length; i++) {
      if ((items[i] as Queued).seq !== (items[i - 1] as Queued).seq + 1) {
        this.sendRun(state, q, items, start, i);
        start = i;
      }
    }
    this.sendRun(state, q, items, start, items.length);
    state.lastSeq = (items[items.length - 1] as Queued).seq;
    if (state.members.size > 0) this.observe(items, state.members.size);
  }

  /**
   * Latencies once per message and sizes once per flush, after its writes — never per socket.
   * Wall clock, as sentAt and acceptedAt are; a negative difference (a sender's clock ahead of
   * ours) is counted as 0.
   */
  private observe(items: Queued[], sockets: number): void {
    const now = Date.now();
    const { e2eLatency, deliveryLatency } = this.metrics;
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as Queued;
      e2eLatency.observe(Math.max(0, now - it.sentAt) / 1000);
      deliveryLatency.observe(Math.max(0, now - it.acceptedAt) / 1000);
    }
    this.metrics.fanoutSockets.observe(sockets);
    this.metrics.flushMessages.observe(items.length);
  }

  /** Writes items[from..to) — consecutive seqs — to every member. */
  private sendRun(state: RoomState, q: RoomQueue, items: Queued[], from: number, to: number): void {
    if (state.members.size === 0) return;
    const fromSeq = (items[from] as Queued).seq;
    const toSeq = (items[to - 1] as Queued).seq;
    // Thinning decides once per room, so every viewer gets the same frame.
    let keep: boolean[] | null = null;
    let thinnedSenders: Set<string> | null = null;
    let thinned = 0;
    if (q.thin !== null) {
      const now = this.clock();
      keep = new Array<boolean>(to - from);
      for (let i = from; i < to; i++) {
        const it = items[i] as Queued;
        const kept = it.high || q.thin.take(now);
        keep[i - from] = kept;
        if (!kept) {
          thinned++;
          (thinnedSenders ??= new Set()).add(it.userId);
        }
      }
      if (thinned > 0) this.metrics.thinned.inc(thinned);
    }

    const run: Run = { q, items, from, to, fromSeq, toSeq, keep, thinned };
    const common = new RunFrames(run, null);
    const personal = thinnedSenders === null ? null : new Map<string, RunFrames>();
    let frames = 0;
    let messages = 0;
    for (const c of state.members) {
      // A socket catching up in this room gets the run after its catch-up (catchup.ts).
      if (c.holds !== null && deliverHeld(c, q.roomId, items, from, to)) continue;
      let f = common;
      if (personal !== null && (thinnedSenders as Set<string>).has(c.userId)) {
        f = personal.get(c.userId) ?? new RunFrames(run, c.userId);
        personal.set(c.userId, f);
      }
      const written = f.writeTo(c);
      frames += written;
      if (written > 0) messages += f.count;
    }
    this.metrics.frames.inc(frames);
    this.metrics.messages.inc(messages);
  }
}

interface Run {
  q: RoomQueue;
  items: Queued[];
  from: number;
  to: number;
  fromSeq: number;
  toSeq: number;
  /** Per item of the run: kept for everyone (null: no thinning, all kept). */
  keep: boolean[] | null;
  thinned: number;
}

/**
 * The frames of one run for one audience: everyone (`owner` null) or one sender whose thinned
 * messages are put back. Encoded lazily, once per protocol, then shared by every socket.
 */
class RunFrames {
  /** Messages this audience gets. */
  readonly count: number;
  private v2: Buffer | undefined;
  private v1: Buffer[] | undefined;

  constructor(
    private readonly run: Run,
    private readonly owner: string | null,
  ) {
    let n = 0;
    for (let i = run.from; i < run.to; i++) if (this.includes(i)) n++;
    this.count = n;
  }

  private includes(i: number): boolean {
    const keep = this.run.keep;
    return (
      keep === null ||
      keep[i - this.run.from] === true ||
      (this.owner !== null && (this.run.items[i] as Queued).userId === this.owner)
    );
  }

  /** Writes this audience's frames to `c`; returns how many frames were written. */
  writeTo(c: Connection): number {
    if (c.protocol >= 2) return c.sendFramed((this.v2 ??= this.encodeV2())) ? 1 : 0;
    const frames = (this.v1 ??= this.encodeV1());
    let written = 0;
    for (const f of frames) if (c.sendFramed(f)) written++;
    return written;
  }

  private encodeV2(): Buffer {
    const { q, items, from, to, fromSeq, toSeq } = this.run;
    const parts: string[] = [];
    for (let i = from; i < to; i++) if (this.includes(i)) parts.push((items[i] as Queued).item);
    return textFrame(messagesFrameText(q.roomIdJson, fromSeq, toSeq, to - from - parts.length, parts));
  }

  private encodeV1(): Buffer[] {
    const { q, items, from, to } = this.run;
    const frames: Buffer[] = [];
    for (let i = from; i < to; i++)
      if (this.includes(i)) frames.push(textFrame(messageFrameText(q.roomIdJson, (items[i] as Queued).item)));
    return frames;
  }
}
