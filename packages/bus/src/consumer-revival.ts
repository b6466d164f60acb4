import type { Logger } from '@roomcast/logger';

/** What a revival needs of a kafkajs consumer: connect again and run again (same handler, same topics). */
export interface RevivableConsumer {
  connect(): Promise<void>;
  run(): Promise<void>;
}

export interface ConsumerRevivalOptions {
  /** Aborted when the subscription stops: no revival starts, a pending one gives up. */
  signal: AbortSignal;
  logger: Logger;
  groupId: string;
  /** First wait before a revival, ms; doubles per failed attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Brings a kafkajs consumer back after a crash kafkajs will not restart. kafkajs restarts a
 * crashed consumer only when the error is retriable; some errors of a broker restart are not
 * ("Failed to find group coordinator", KafkaJSNonRetriableError: tulios/kafkajs#1445, #1630) and
 * leave the consumer disconnected for good — a gateway stopped delivering until its process was
 * replaced (seen in the chaos suite). kafkajs has disconnected it by then (its subscriptions are
 * kept), so a revival is `connect()` then `run()`, tried again with backoff until it runs or the
 * subscription stops.
 */
export class ConsumerRevival {
  private pending: Promise<void> | undefined;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly consumer: RevivableConsumer,
    private readonly options: ConsumerRevivalOptions,
  ) {
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
  }

  /** A CRASH event: `restart` is kafkajs's own decision to restart it. */
  crashed(restart: boolean): void {
    if (restart || this.options.signal.aborted || this.pending !== undefined) return;
    this.pending = this.revive().finally(() => {
      this.pending = undefined;
    });
  }

  /** Resolves when no revival is in flight (stop() waits for it before disconnecting). */
  async idle(): Promise<void> {
    await this.pending;
  }

  private async revive(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await abortableSleep(Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt), this.options.signal);
      if (this.options.signal.aborted) return;
      try {
        await this.consumer.connect();
        await this.consumer.run();
        this.options.logger.warn({ groupId: this.options.groupId, attempt }, 'kafka consumer revived after a crash kafkajs does not restart');
        return;
      } catch (err) {
        this.options.logger.warn({ err, groupId: this.options.groupId, attempt }, 'reviving the kafka consumer failed; trying again');
      }
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
