import { resolveTopics } from '@roomcast/contracts';
import { runService } from '@roomcast/service-kit';
import { createKafkaBus, createRedisSequencer } from '@roomcast/service-kit/infra';
import { RedisModerationStore } from '@roomcast/moderation';
import { createChatIngestApp } from './app';
import { configSchema } from './config';

runService('chat-ingest', configSchema, (config, logger) => {
  const bus = createKafkaBus(config, 'chat-ingest', logger);
  const sequencer = createRedisSequencer(config);
  const moderationStore = new RedisModerationStore({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const app = createChatIngestApp({
    bus,
    deduper: sequencer.deduper,
    moderationStore,
    logger,
    topics: resolveTopics(config.KAFKA_TOPIC_PREFIX),
    groupId: config.INGEST_GROUP_ID,
    dedupTtlMs: config.INGEST_DEDUP_TTL_MS,
    maxTextChars: config.INGEST_MAX_TEXT_CHARS,
    adminToken: config.INGEST_ADMIN_TOKEN,
  });
  return {
    app,
    async close() {
      await bus.close();
      await sequencer.close();
      await moderationStore.close();
    },
  };
});
