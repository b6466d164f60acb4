import { createHistogram, encodeHistogram, recordMicros, type Histogram } from './histogram';
import type { Sample, WorkerCounters } from './ipc';

/** Wall clock in ms with sub-ms precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Everything one worker counts. Drivers write here; the worker samples and reports it. */
export class WorkerStats {
  readonly counters: WorkerCounters = {
    connectAttempts: 0,
    connected: 0,
    joined: 0,
    connectFailed: 0,
    open: 0,
    chatsSent: 0,
    chatsAcked: 0,
    chatsFailed: 0,
    chatsUnacked: 0,
    rejected: 0,
    likesSent: 0,
    giftsSent: 0,
    giftsDelivered: 0,
    delivered: 0,
    deliveredFrames: 0,
    batchFrames: 0,
    thinned: 0,
    unscannedFrames: 0,
    duplicates: 0,
    outOfOrder: 0,
    gapEvents: 0,
    unsequenced: 0,
    reconnects: 0,
    reconnectsFailed: 0,
    resumes: 0,
    resumesIncomplete: 0,
    resumeMissing: 0,
    recovered: 0,
    recoveredByGateway: 0,
    chatsResent: 0,
  };
  /** Closes the tool did not ask for, by WebSocket close code. */
  readonly closesByCode: Record<string, number> = {};
  /** Connection attempts that failed, by close code or error code. */
  readonly connectFailuresByCode: Record<string, number> = {};
  /** Error replies and uncorrelated errors, by code. */
  readonly errorsByCode: Record<string, number> = {};
  /** Connections by the protocol version their `welcome` announced. */
  readonly welcomeProtocols: Record<string, number> = {};
  readonly connectUs: Histogram = createHistogram();
  readonly joinUs: Histogram = createHistogram();
  readonly ackUs: Histogram = createHistogram();
  /**
   * Latency of messages recovered by a resume's catch-up, the whole run. Their sentAt is as old
   * as the viewer's time away (drain spread, backoff, rejoin), so they are kept out of the live
   * latency and its per-second samples.
   */
  readonly recoveredUs: Histogram = createHistogram();
  /**
   * Delivery latency of gifts (`--gifts`), the whole run: high priority, they skip the delivery
   * window and thinning, so they are measured apart from chat (whose per-second samples and run
   * latency leave them out).
   */
  readonly giftUs: Histogram = createHistogram();
  /**
   * Set when the worker takes its final snapshot: frames still arriving while connections close
   * are not counted, so `delivered` and the per-member seq ends describe the same instant.
   */
  frozen = false;
  /** Delivery latency of the current one-second interval; reset by takeSample(). */
  private intervalLatency: Histogram = createHistogram();
  private last = { sent: 0, acked: 0, delivered: 0, deliveredFrames: 0, thinned: 0, likes: 0 };

  /** Records one delivered message sent at `sentAtMs` (sender clock) arriving at `arrivedMs`. */
  recordDelivery(sentAtMs: number, arrivedMs: number): void {
    this.counters.delivered++;
    if (sentAtMs > 0) recordMicros(this.intervalLatency, (arrivedMs - sentAtMs) * 1000);
  }

  /** Like recordDelivery, for a gift: delivered, its latency in giftUs. */
  recordGiftDelivery(sentAtMs: number, arrivedMs: number): void {
    this.counters.delivered++;
    this.counters.giftsDelivered++;
    if (sentAtMs > 0) recordMicros(this.giftUs, (arrivedMs - sentAtMs) * 1000);
  }

  /** Like recordDelivery, for a message of a resume's catch-up: delivered, its latency apart. */
  recordRecoveredDelivery(sentAtMs: number, arrivedMs: number): void {
    this.counters.delivered++;
    this.counters.recovered++;
    if (sentAtMs > 0) recordMicros(this.recoveredUs, (arrivedMs - sentAtMs) * 1000);
  }

  recordWelcomeProtocol(protocol: number): void {
    bump(this.welcomeProtocols, String(protocol));
  }

  recordClose(code: number): void {
    bump(this.closesByCode, String(code));
  }

  recordConnectFailure(key: string): void {
    this.counters.connectFailed++;
    bump(this.connectFailuresByCode, key);
  }

  recordError(code: string): void {
    bump(this.errorsByCode, code);
  }

  /** Counter deltas since the previous sample and the interval's latency histogram. */
  takeSample(k: number): Sample {
    const c = this.counters;
    const sample: Sample = {
      k,
      open: c.open,
      sent: c.chatsSent - this.last.sent,
      acked: c.chatsAcked - this.last.acked,
      delivered: c.delivered - this.last.delivered,
      deliveredFrames: c.deliveredFrames - this.last.deliveredFrames,
      thinned: c.thinned - this.last.thinned,
      likes: c.likesSent - this.last.likes,
      latency: encodeHistogram(this.intervalLatency),
    };
    this.last = {
      sent: c.chatsSent,
      acked: c.chatsAcked,
      delivered: c.delivered,
      deliveredFrames: c.deliveredFrames,
      thinned: c.thinned,
      likes: c.likesSent,
    };
    this.intervalLatency.reset();
    return sample;
  }
}
