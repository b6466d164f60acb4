import { envList, secret, z } from '@roomcast/config';

/** Env variables shared by services; each service's config.ts picks the groups it needs. */
export const kafkaEnv = {
  KAFKA_BROKERS: envList.describe('Kafka bootstrap servers, comma-separated host:port'),
  KAFKA_CLIENT_ID: z.string().optional().describe('Kafka client id; defaults to the service name'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .default('')
    .describe('Prefix applied to every topic name (shared clusters, tests)'),
  // 0: records published in the same tick go in one request, and those published while a send is
  // in flight go in the next one; a 2 ms linger added 2–4 ms per hop at p50 (bench/kafka-path.ts).
  KAFKA_LINGER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(0)
    .describe('How long the producer waits to batch more records, ms (0 = same tick)'),
  // Consumers retry a retriable failure (Redis, MongoDB or Kafka unreachable) until it succeeds;
  // this cap is also how late they notice that the outage is over.
  KAFKA_RETRY_MAX_BACKOFF_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(2000)
    .describe(
      'Longest wait between two retries of a failing consumer batch, ms; a retriable failure is retried until it succeeds',
    ),
};

export const redisEnv = {
  REDIS_URL: z.string().url().describe('Redis URL, e.g. redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('rc:').describe('Prefix of every Redis key'),
};

/**
 * How user tokens are verified (gateway handshake and refresh, history API): HS256 with
 * JWT_SECRET and/or RS256/ES256/EdDSA with a JWKS (URL or file); at least one must be set.
 */
export const authEnv = {
  JWT_SECRET: secret(z.string().min(8).optional()).describe('HS256 secret of user tokens; omit to accept only JWKS-signed tokens'),
  JWT_JWKS_URL: z.string().url().optional().describe('JWKS URL of the identity provider: RS256, ES256 and EdDSA tokens are verified by kid, refetched on an unknown kid (key rotation)'),
  JWT_JWKS_FILE: z.string().min(1).optional().describe('A JWKS JSON file, instead of JWT_JWKS_URL'),
  JWT_ISSUER: z.string().min(1).optional().describe('When set, a token\'s iss must be this'),
  JWT_AUDIENCE: z.string().min(1).optional().describe('When set, a token\'s aud must contain this'),
};

/** The recent-message cache (catch-up after a reconnect): written by notification, read by gateways. */
export const recentMessagesEnv = {
  RECENT_MAX_PER_ROOM: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .describe('Recent-message cache: most messages kept per room in Redis for catch-up after a reconnect'),
  RECENT_TTL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(600_000)
    .describe("Recent-message cache: a room's cache is dropped this long after its last message, ms"),
};

export const mongoEnv = {
  MONGO_URL: z.string().min(1).describe('MongoDB connection string'),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default('roomcast')
    .describe('Database name'),
};

export const commonEnv = {
  PORT: z.coerce.number().int().min(0).max(65535).describe('HTTP port (0 = any free port)').default(8080),
  HOST: z.string().default('0.0.0.0').describe('HTTP bind address'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
  OTEL_TRACES_EXPORTER: z
    .enum(['none', 'otlp', 'console'])
    .default('none')
    .describe('Where spans go: otlp = OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (e.g. Jaeger); none = ids propagate and stamp logs, nothing exported'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .url()
    .optional()
    .describe('OTLP/HTTP base URL; spans go to <url>/v1/traces (default http://localhost:4318)'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .url()
    .optional()
    .describe('Full OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces; wins over OTEL_EXPORTER_OTLP_ENDPOINT'),
  OTEL_SAMPLE_RATIO: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe('Fraction of new traces (one per chat message, started by the gateway) sampled; each later hop follows the head decision'),
  OTEL_SAMPLE_ROOMS: envList
    .optional()
    .describe('Rooms whose every message is traced whatever OTEL_SAMPLE_RATIO says (comma-separated; debugging)'),
  OTEL_SAMPLE_USERS: envList
    .optional()
    .describe('Users whose every message is traced whatever OTEL_SAMPLE_RATIO says (comma-separated; debugging)'),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(5000)
    .describe('Longest a finished span waits in memory before it is exported, ms'),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15000)
    .describe('Longest clean shutdown before exit(1), ms'),
};
