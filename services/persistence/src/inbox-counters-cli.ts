import { loadConfig, z } from '@roomcast/config';
import { createLogger } from '@roomcast/logger';
import { RedisInboxCounters } from '@roomcast/presence';
import { mongoEnv, redisEnv } from '@roomcast/service-kit';
import { MongoInboxStore } from '@roomcast/store';
import { rebuildInboxCounters } from './inbox-counters-rebuild';

/**
 * `pnpm -s inbox-counters`: rebuilds the unread inbox counters in Redis from MongoDB (see
 * rebuildInboxCounters) with persistence's MONGO_URL, MONGO_DB, REDIS_URL and REDIS_KEY_PREFIX.
 * Prints `{users, unread}` as JSON; exit 1 with the error when MongoDB or Redis fails.
 */
const schema = z.object({ ...mongoEnv, ...redisEnv, LOG_LEVEL: z.string().default('warn').describe('pino level') });

async function main(): Promise<void> {
  const config = loadConfig(schema, process.env);
  const logger = createLogger({ name: 'inbox-counters', level: config.LOG_LEVEL });
  const inbox = new MongoInboxStore({ uri: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  const counters = new RedisInboxCounters({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  try {
    const done = await rebuildInboxCounters(inbox, counters, { logger });
    process.stdout.write(`${JSON.stringify(done)}\n`);
  } finally {
    await inbox.close();
    await counters.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
