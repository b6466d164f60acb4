/**
 * Real adapters built from a service's validated config. Only main.ts files import this module;
 * createApp() functions take ports, so the embedded start can hand them in-memory twins.
 */
import { readFileSync } from 'node:fs';
import { createTokenVerifier, type TokenVerifier } from '@roomcast/auth';
import { KafkaMessageBus, type MessageBus } from '@roomcast/bus';
import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import { RedisPresenceStore, type PresenceStore } from '@roomcast/presence';
import { RedisRecentMessages, RedisSequencerBackend, type SequencerBackend } from '@roomcast/sequencer';
import { MongoMessageStore, type MessageStore } from '@roomcast/store';

export function createKafkaBus(
  c: { KAFKA_BROKERS: string[]; KAFKA_CLIENT_ID?: string | undefined; KAFKA_LINGER_MS: number; KAFKA_RETRY_MAX_BACKOFF_MS?: number },
  service: string,
  logger: Logger,
): MessageBus {
  return new KafkaMessageBus({
    brokers: c.KAFKA_BROKERS,
    clientId: c.KAFKA_CLIENT_ID ?? service,
    logger,
    lingerMs: c.KAFKA_LINGER_MS,
    retryMaxBackoffMs: c.KAFKA_RETRY_MAX_BACKOFF_MS,
  });
}

export function createRedisPresence(c: { REDIS_URL: string; REDIS_KEY_PREFIX: string }): PresenceStore {
  return new RedisPresenceStore({ redis: c.REDIS_URL, keyPrefix: c.REDIS_KEY_PREFIX });
}

export function createRedisSequencer(c: { REDIS_URL: string; REDIS_KEY_PREFIX: string }): SequencerBackend {
  return new RedisSequencerBackend({ redis: c.REDIS_URL, keyPrefix: c.REDIS_KEY_PREFIX });
}

/** The recent-message cache beside the sequencer's keys (same prefix). Sizes only matter to its writer. */
export function createRedisRecentMessages(c: {
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  RECENT_MAX_PER_ROOM?: number;
  RECENT_TTL_MS?: number;
}): RedisRecentMessages {
  return new RedisRecentMessages({ redis: c.REDIS_URL, keyPrefix: c.REDIS_KEY_PREFIX, maxPerRoom: c.RECENT_MAX_PER_ROOM, ttlMs: c.RECENT_TTL_MS });
}

/** The user-token verifier of `authEnv` (reads JWT_JWKS_FILE now, once). */
export function createTokenVerifierFromConfig(c: {
  JWT_SECRET?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
  JWT_JWKS_FILE?: string | undefined;
  JWT_ISSUER?: string | undefined;
  JWT_AUDIENCE?: string | undefined;
}): TokenVerifier {
  let jwks: { url: string } | { keys: { keys: never[] } } | undefined;
  if (c.JWT_JWKS_URL !== undefined) jwks = { url: c.JWT_JWKS_URL };
  else if (c.JWT_JWKS_FILE !== undefined) {
    try {
      jwks = { keys: JSON.parse(readFileSync(c.JWT_JWKS_FILE, 'utf8')) as { keys: never[] } };
    } catch (err) {
      throw new AppError('CONFIG_INVALID', `JWT_JWKS_FILE ${c.JWT_JWKS_FILE}: not a readable JWKS JSON file`, { cause: err });
    }
  }
  if (c.JWT_SECRET === undefined && jwks === undefined)
    throw new AppError('CONFIG_INVALID', 'set JWT_SECRET (HS256) or JWT_JWKS_URL / JWT_JWKS_FILE to verify user tokens');
  return createTokenVerifier({ hs256Secret: c.JWT_SECRET, jwks, issuer: c.JWT_ISSUER, audience: c.JWT_AUDIENCE });
}

export function createMongoStore(c: { MONGO_URL: string; MONGO_DB: string }, logger: Logger): MessageStore {
  return new MongoMessageStore({ uri: c.MONGO_URL, dbName: c.MONGO_DB, logger });
}
