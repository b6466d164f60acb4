import { join } from 'node:path';
import { signUserToken } from '@roomcast/auth';
import type { RolesClaim } from '@roomcast/contracts';
import { infraEnv, uniqueId, type InfraEnv } from '@roomcast/testing';
import { startService, type ServiceProcess } from './processes';

/** What a scenario needs to talk to a running roomcast, whichever way it was started. */
export interface Stack {
  /** WebSocket URLs of the gateways (two distinct gateways for the real stack). */
  gatewayUrls: string[];
  /** Base URL serving `GET /rooms/:roomId/messages`. */
  historyUrl: string;
  /** Base URL serving `POST /rooms/:roomId/notices` (chat-ingest), with `adminToken`. */
  noticeUrl: string;
  adminToken: string;
  jwtSecret: string;
  token(userId: string, ttlSeconds?: number, roles?: RolesClaim): Promise<string>;
  /** Base URL of each gateway's HTTP API (moderation), in the order of `gatewayUrls`. */
  gatewayHttpUrls: string[];
  processes: ServiceProcess[];
  stop(): Promise<void>;
}

/** Fast ticks so tests see likes/online updates quickly; the words the scenario relies on. */
/** The admin token of the test stacks (notice API; the filter's admin API on the embedded start). */
const ADMIN_TOKEN = 'test-admin-token-0123456789';

const TEST_TUNING = {
  LIKES_TICK_MS: '200',
  ONLINE_TICK_MS: '200',
  PRESENCE_REFRESH_MS: '1000',
  WS_HEARTBEAT_INTERVAL_MS: '5000',
  FILTER_BLOCKED_WORDS: 'badword',
  FILTER_MASKED_WORDS: 'darn',
};

/** Options of {@link startRealStack}. */
export interface RealStackOptions {
  /** Where Kafka, Redis and MongoDB listen. Default: `infraEnv()` (the test infrastructure). */
  infra?: InfraEnv;
  /** Write each service's output to `<logDir>/<name>.log` as well. */
  logDir?: string;
}

/** The real stack, with the names that locate its topics, keys and database on its infrastructure. */
export interface RealStack extends Stack {
  /** `KAFKA_TOPIC_PREFIX` of every service (ends with a dot). */
  topicPrefix: string;
  /** `MONGO_DB` of every service. */
  mongoDb: string;
  /** `REDIS_KEY_PREFIX` of every service. */
  redisKeyPrefix: string;
  infra: InfraEnv;
}

/**
 * Every service as its own process on the real Kafka, Redis and MongoDB-wire server: chat-ingest,
 * filter, persistence, notification and TWO gateways. Topics, groups, Redis keys and the
 * database are unique to this stack so suites can share the infrastructure.
 */
export async function startRealStack(
  extraEnv: Record<string, string> = {},
  options: RealStackOptions = {},
): Promise<RealStack> {
  const infra = options.infra ?? infraEnv();
  const id = uniqueId('e2e');
  const mongoDb = id.replace(/[^A-Za-z0-9_-]/g, '_');
  const start = (name: string, dir: string, env: Record<string, string>) =>
    startService(name, dir, env, {
      logFile: options.logDir ? join(options.logDir, `${name}.log`) : undefined,
    });
  const jwtSecret = `secret-${id}`;
  const common: Record<string, string> = {
    ...TEST_TUNING,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${id}.`,
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: `${id}:`,
    MONGO_URL: infra.mongoUrl,
    MONGO_DB: mongoDb,
    JWT_SECRET: jwtSecret,
    ...extraEnv,
  };
  const processes: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  };
  try {
    // Consumers first: each one's /readyz waits for its group to be joined. allSettled, so that
    // when one fails to start the others are still stopped and no process outlives the test.
    const started = await startAll(processes, [
      start('persistence', 'persistence', { ...common, PERSISTENCE_GROUP_ID: `${id}.persistence` }),
      start('notification', 'notification', {
        ...common,
        NOTIFICATION_GROUP_ID: `${id}.notification`,
      }),
      start('filter', 'filter', { ...common, FILTER_GROUP_ID: `${id}.filter` }),
      start('chat-ingest', 'chat-ingest', {
        ...common,
        INGEST_GROUP_ID: `${id}.chat-ingest`,
        INGEST_ADMIN_TOKEN: ADMIN_TOKEN,
      }),
    ]);
    const gateways = await startAll(processes, [
      start('gateway-a', 'gateway', { ...common, GATEWAY_ID: 'gw-a', MODERATION_ADMIN_TOKEN: ADMIN_TOKEN }),
      start('gateway-b', 'gateway', { ...common, GATEWAY_ID: 'gw-b', MODERATION_ADMIN_TOKEN: ADMIN_TOKEN }),
    ]);
    const persistence = started[0];
    const ingest = started[3];
    return {
      gatewayUrls: gateways.map((g) => `ws://127.0.0.1:${g.port}/ws`),
      gatewayHttpUrls: gateways.map((g) => `http://127.0.0.1:${g.port}`),
      historyUrl: `http://127.0.0.1:${persistence?.port}`,
      noticeUrl: `http://127.0.0.1:${ingest?.port}`,
      adminToken: ADMIN_TOKEN,
      jwtSecret,
      token: (userId, ttl, roles) => signUserToken(jwtSecret, userId, ttl, { roles }),
      processes,
      stop,
      topicPrefix: common.KAFKA_TOPIC_PREFIX ?? `${id}.`,
      mongoDb: common.MONGO_DB ?? mongoDb,
      redisKeyPrefix: common.REDIS_KEY_PREFIX ?? `${id}:`,
      infra,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits for every start; keeps the ones that started in `into` (to be stopped), then rethrows the first failure. */
async function startAll(
  into: ServiceProcess[],
  starts: Promise<ServiceProcess>[],
): Promise<ServiceProcess[]> {
  const results = await Promise.allSettled(starts);
  const ok: ServiceProcess[] = [];
  for (const r of results) if (r.status === 'fulfilled') ok.push(r.value);
  into.push(...ok);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return ok;
}

/** The embedded start (`pnpm start`) as its own process: one gateway, all services, twins. */
export async function startEmbeddedStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  const jwtSecret = `secret-${uniqueId('emb')}`;
  const proc = await startService('embedded', 'embedded', {
    ...TEST_TUNING,
    JWT_SECRET: jwtSecret,
    FILTER_ADMIN_TOKEN: ADMIN_TOKEN,
    MODERATION_ADMIN_TOKEN: ADMIN_TOKEN,
    ...extraEnv,
  });
  const base = `http://127.0.0.1:${proc.port}`;
  return {
    gatewayUrls: [`ws://127.0.0.1:${proc.port}/ws`, `ws://127.0.0.1:${proc.port}/ws`],
    gatewayHttpUrls: [`http://127.0.0.1:${proc.port}`, `http://127.0.0.1:${proc.port}`],
    historyUrl: base,
    noticeUrl: base,
    adminToken: ADMIN_TOKEN,
    jwtSecret,
    token: (userId, ttl, roles) => signUserToken(jwtSecret, userId, ttl, { roles }),
    processes: [proc],
    stop: async () => {
      await proc.stop();
    },
  };
}
