import type { Logger } from '@roomcast/logger';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Wires SIGTERM/SIGINT to a clean stop (stop consuming, flush, commit, close), bounded by
 * `timeoutMs`; a second signal or the timeout exits with 1. Unhandled rejections are logged,
 * not fatal, so one bad promise does not take the process down.
 */
export function handleSignals(target: Stoppable, logger: Logger, timeoutMs: number, onDone: () => Promise<void> = async () => {}): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'clean shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    target
      .stop()
      .then(onDone)
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}
