import { randomBytes } from 'node:crypto';

export { CHROMIUM_ARGS, ensureChromium } from './chromium';

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

/** Where the Jaeger of `scripts/infra.sh up jaeger` listens (its `env` exports these). */
export interface TracingEnv {
  /** Jaeger's query UI/API, e.g. http://127.0.0.1:16686 (`GET /api/traces/<id>`). */
  jaegerQueryUrl: string;
  /** OTLP/HTTP base URL the services export to (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  otlpEndpoint: string;
}

export function tracingEnv(env: Record<string, string | undefined> = process.env): TracingEnv {
  return {
    jaegerQueryUrl: env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686',
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
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

/** What `useRedisAdmin` needs of a Redis client (ioredis's `Redis` has it). */
export interface RedisAdminClient {
  keys(pattern: string): Promise<string[]>;
  del(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
}

/**
 * For a jest suite on the test Redis: one admin client, made by `connect` in `beforeAll` and quit in
 * `afterAll` (call at the top level of a test file). `client()` returns it inside tests and hooks;
 * `deletePrefix(prefix)` removes every key under a test's prefix.
 */
export function useRedisAdmin<C extends RedisAdminClient>(
  connect: () => C,
): { client(): C; deletePrefix(prefix: string): Promise<void> } {
  let admin: C | undefined;
  beforeAll(() => {
    admin = connect();
  });
  afterAll(async () => {
    await admin?.quit();
  });
  const client = (): C => {
    if (admin === undefined) throw new Error('useRedisAdmin: the client exists only inside tests and hooks');
    return admin;
  };
  return {
    client,
    deletePrefix: async (prefix) => {
      const keys = await client().keys(`${prefix}*`);
      if (keys.length > 0) await client().del(...keys);
    },
  };
}
