import { randomBytes } from 'node:crypto';

/**
 * Where the real infrastructure started by `scripts/infra.sh up` listens. Tests read these
 * (the test script exports them); the defaults are the infra script's own ports.
 */
export interface InfraEnv {
  kafkaBrokers: string[];
  redisUrl: string;
  mongoUrl: string;
}

export function infraEnv(env: Record<string, string | undefined> = process.env): InfraEnv {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((s) => s.trim()),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:16379',
    mongoUrl: env.MONGO_URL ?? 'mongodb://127.0.0.1:27018',
  };
}

/** A unique, name-safe id so topics, groups, key prefixes and databases never collide between tests. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
