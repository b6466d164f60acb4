import type { Logger } from '@roomcast/logger';

/**
 * Offset commits off the fetch path. kafkajs fetches again only when every batch of the last
 * fetch has returned, so awaiting the commit in the batch put one broker round trip into every
 * hop of every message (kafka-path bench: 3–37 ms per batch on the shared box). Instead the batch
 * asks for a commit and returns: one commit is in flight per consumer, and the next one, at most
 * `intervalMs` after the start of the last while batches keep coming, carries whatever was
 * resolved meanwhile. Offsets are still committed only after the handler succeeded; what a crash
 * or a rebalance leaves uncommitted (about one interval's worth) is redelivered, and handlers are
 * idempotent. `flush()` runs on stop, before leaving the group, without waiting out the interval.
 */
export class BackgroundCommitter {
  private inFlight: Promise<void> | undefined;
  private next: (() => Promise<void>) | undefined;
  /** Ends the wait between two commits early (flush). */
  private wake: (() => void) | undefined;
  private flushing = false;

  /**
   * `intervalMs`: while batches keep coming, at most one commit per this many ms. `expected(err)`:
   * a refused commit that is part of normal operation (a rebalance), logged at debug, not warn.
   */
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly expected: (err: unknown) => boolean = () => false,
  ) {}

  /** Commits through `commit` (the latest batch's commitOffsetsIfNecessary) soon. */
  request(commit: () => Promise<void>): void {
    this.next = commit;
    this.inFlight ??= this.drain();
  }

  /** Resolves once everything requested so far is committed (or failed and was logged). */
  async flush(): Promise<void> {
    this.flushing = true;
    this.wake?.();
    try {
      while (this.inFlight) await this.inFlight;
    } finally {
      this.flushing = false;
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let commit = this.next; commit; commit = this.next) {
        this.next = undefined;
        const started = Date.now();
        try {
          await commit();
        } catch (err) {
          // The offsets stay resolved, so the next request commits them if this member still
          // owns the partitions; if not, the next owner redelivers them (idempotent handlers).
          if (this.expected(err)) this.logger.debug({ err }, 'offset commit refused during a rebalance');
          else this.logger.warn({ err }, 'offset commit failed');
        }
        const wait = this.intervalMs - (Date.now() - started);
        if (this.next && wait > 0 && !this.flushing) await this.pause(wait);
      }
    } finally {
      this.inFlight = undefined;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
