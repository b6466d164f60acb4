import type { ScannedBatch } from '../frame-scan';
import type { LoadProtocol } from '../options';
import { SeqTracker } from '../seq-tracker';
import { nowMs, type WorkerStats } from '../stats';
import type { ConnectionSpec } from '../plan';
import { recordMicros } from '../histogram';

/** Per room and worker: what senders got acked and the highest seq any member saw. */
export interface RoomAccount {
  acked: number;
  rejected: number;
  maxSeq: number;
}

/** What a driver needs from its worker. */
export interface DriverContext {
  stats: WorkerStats;
  /** Chat text, `--size` bytes. */
  text: string;
  requestTimeoutMs: number;
  /** roomcast protocol version to declare (`--protocol`). */
  protocol: LoadProtocol;
  /**
   * `--resume`: reconnect after a reconnectable close, over every URL of `urls` (starting at the
   * connection's own), and resume the room with `afterSeq`.
   */
  resume: boolean;
  /** Every `--url`, in order. */
  urls: readonly string[];
}

/** `reconnecting`: closed by the server, coming back (`--resume`); not open, not given up. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'joined' | 'reconnecting' | 'closed';

/** Thrown by `start` when connect or join failed; `key` is what connectFailuresByCode counts. */
export class ConnectFailure extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One simulated client of either target. Subclasses speak the protocol; this base does the
 * accounting every target shares, so both are measured the same way.
 */
export abstract class LoadConnection {
  readonly tracker = new SeqTracker();
  state: ConnectionState = 'idle';
  /** The tool itself is closing this connection: its close is not reported as a server close. */
  closing = false;
  /** Joined and open when sending started: expected to receive every accepted message of its room. */
  counted = false;
  /**
   * Between a reconnect's `welcome` and its resume's `joined`: every message arriving now is the
   * gateway's catch-up (it holds live ones until `joined`), so its latency is recorded apart.
   */
  catchingUp = false;
  /** Reconnected, the resume's `joined` not yet in. */
  protected resumePending = false;

  constructor(
    readonly spec: ConnectionSpec,
    protected readonly ctx: DriverContext,
    protected readonly room: RoomAccount,
  ) {}

  /** Connects and joins the room; rejects with ConnectFailure. Records connect and join times. */
  abstract start(token: string): Promise<void>;
  /** Sends one chat message stamped `sentAtMs`; the outcome is counted, never thrown. */
  abstract chat(clientMsgId: string, sentAtMs: number): void;
  /** Sends one gift (`--gifts`, roomcast only) stamped `sentAtMs`; counted like a chat, never thrown. */
  abstract gift(clientMsgId: string, sentAtMs: number): void;
  /** Sends one like; false if the connection could not send. */
  abstract like(): boolean;
  /** Closes for good (the tool's own close: not counted as a server close). */
  abstract close(): void;

  get isOpen(): boolean {
    return this.state === 'open' || this.state === 'joined';
  }

  /** Hot path: one message frame arrived. `seq` <= 0 means the frame had no usable seq. */
  protected onMessage(seq: number, sentAtMs: number, gift = false): void {
    const stats = this.ctx.stats;
    if (stats.frozen) return;
    stats.counters.deliveredFrames++;
    if (this.catchingUp) stats.recordRecoveredDelivery(sentAtMs, nowMs());
    else if (gift) stats.recordGiftDelivery(sentAtMs, nowMs());
    else stats.recordDelivery(sentAtMs, nowMs());
    if (seq <= 0) {
      stats.counters.unsequenced++;
      return;
    }
    if (seq > this.room.maxSeq) this.room.maxSeq = seq;
    const verdict = this.tracker.observe(seq);
    if (verdict === 'next') return;
    if (verdict === 'duplicate') stats.counters.duplicates++;
    else if (verdict === 'out-of-order') stats.counters.outOfOrder++;
    else stats.counters.gapEvents++;
  }

  /**
   * Hot path: one protocol v2 `messages` frame arrived (already checked consistent: items strictly
   * increasing inside fromSeq..toSeq, items + thinned = the range). Every item is one delivery
   * with its own latency (recorded apart while catching up); the range's seqs not among the items
   * are thinned, not gaps. One clock read per frame (all items arrived together); the tracker's
   * counters are read once around the loop instead of a verdict per item.
   */
  protected onBatch(batch: ScannedBatch): void {
    const stats = this.ctx.stats;
    if (stats.frozen) return;
    const c = stats.counters;
    c.deliveredFrames++;
    c.batchFrames++;
    c.thinned += batch.thinned;
    if (batch.toSeq > this.room.maxSeq) this.room.maxSeq = batch.toSeq;
    const arrived = nowMs();
    const t = this.tracker;
    const duplicates = t.duplicates;
    const outOfOrder = t.outOfOrder;
    const gapEvents = t.gapEvents;
    const seqs = batch.seqs;
    const sentAts = batch.sentAts;
    const gifts = batch.gifts;
    const recovered = this.catchingUp;
    let next = batch.fromSeq;
    for (let i = 0; i < batch.count; i++) {
      const seq = seqs[i] as number;
      if (recovered) stats.recordRecoveredDelivery(sentAts[i] as number, arrived);
      else if (gifts[i] === 1) stats.recordGiftDelivery(sentAts[i] as number, arrived);
      else stats.recordDelivery(sentAts[i] as number, arrived);
      if (seq > next) t.thin(next, seq - 1);
      t.observe(seq);
      next = seq + 1;
    }
    if (next <= batch.toSeq) t.thin(next, batch.toSeq);
    c.duplicates += t.duplicates - duplicates;
    c.outOfOrder += t.outOfOrder - outOfOrder;
    c.gapEvents += t.gapEvents - gapEvents;
  }

  protected onOpened(connectStartedMs: number): void {
    this.state = 'open';
    this.ctx.stats.counters.connected++;
    this.ctx.stats.counters.open++;
    recordMicros(this.ctx.stats.connectUs, (nowMs() - connectStartedMs) * 1000);
  }

  protected onJoined(joinStartedMs: number, lastSeq: number): void {
    this.state = 'joined';
    this.tracker.setBaseline(lastSeq);
    this.ctx.stats.counters.joined++;
    recordMicros(this.ctx.stats.joinUs, (nowMs() - joinStartedMs) * 1000);
  }

  /**
   * The socket closed (for any reason); `willReconnect`: the client comes back by itself
   * (`--resume`). A close while already reconnecting is a failed reconnect attempt.
   */
  protected onClosed(code: number, willReconnect = false): void {
    if (this.state === 'closed') return;
    const wasOpen = this.isOpen;
    const wasReconnecting = this.state === 'reconnecting';
    this.state = willReconnect && !this.closing ? 'reconnecting' : 'closed';
    this.catchingUp = false;
    this.resumePending = false;
    if (wasReconnecting && !this.closing) this.ctx.stats.counters.reconnectsFailed++;
    if (!wasOpen) return; // a failed connect is counted by start()'s rejection
    this.ctx.stats.counters.open--;
    if (!this.closing) this.ctx.stats.recordClose(code);
  }

  /** A reconnect got its `welcome`: the room's resume is on its way, its catch-up comes first. */
  protected onReconnected(): void {
    if (this.state !== 'reconnecting') return;
    this.state = 'open';
    this.catchingUp = true;
    this.resumePending = true;
    this.ctx.stats.counters.reconnects++;
    this.ctx.stats.counters.open++;
  }

  /**
   * The resume's `joined` arrived: the room is live again. `missing`: seqs the gateway's catch-up
   * did not carry (`joined.missing`; the tool pages no history, so they show up as gaps);
   * `recoveredCount`: what the gateway says it sent.
   */
  protected onResumed(missing: number, recoveredCount: number): void {
    if (!this.resumePending) return;
    this.resumePending = false;
    this.catchingUp = false;
    this.state = 'joined';
    const c = this.ctx.stats.counters;
    c.resumes++;
    if (missing > 0) {
      c.resumesIncomplete++;
      c.resumeMissing += missing;
    }
    c.recoveredByGateway += recoveredCount;
  }

  protected onAcked(sentAtMs: number): void {
    this.ctx.stats.counters.chatsAcked++;
    this.room.acked++;
    recordMicros(this.ctx.stats.ackUs, (nowMs() - sentAtMs) * 1000);
  }

  protected onChatFailed(code: string): void {
    this.ctx.stats.counters.chatsFailed++;
    this.ctx.stats.recordError(code);
  }

  protected onRejected(): void {
    this.ctx.stats.counters.rejected++;
    this.room.rejected++;
  }
}
