/** Reconnect policy. */
export interface ReconnectOptions {
  /** Reconnect after reconnectable closes (4000–4499, 1006, …). Default true. */
  enabled: boolean;
  /** Delay cap before the first retry, in ms. Default 500. */
  baseMs: number;
  /** Largest delay between retries, in ms. Default 30000. */
  maxMs: number;
}

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = Object.freeze({
  enabled: true,
  baseMs: 500,
  maxMs: 30_000,
});

/**
 * Delay before reconnect attempt `attempt` (0-based), in ms: exponential with "equal jitter" —
 * half fixed, half random — so a gateway restart does not bring every client back in the same
 * millisecond, yet no client retries instantly in a loop.
 */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const half = exp / 2;
  return Math.round(half + random() * half);
}
