import { resolveTopics } from '@roomcast/contracts';
import { runService } from '@roomcast/service-kit';
import { createKafkaBus, createRedisSequencer } from '@roomcast/service-kit/infra';
import { RedisGiftLedger } from '@roomcast/live';
import { RedisModerationStore } from '@roomcast/moderation';
import { createChatIngestApp } from './app';
import { configSchema } from './config';

runService('chat-ingest', configSchema, (config, logger) => {
  const bus = createKafkaBus(config, 'chat-ingest', logger);
  const sequencer = createRedisSequencer(config);
  const moderationStore = new RedisModerationStore({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const giftLedger = new RedisGiftLedger({
    redis: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    comboWindowMs: config.GIFT_COMBO_WINDOW_MS,
    seenTtlMs: config.INGEST_DEDUP_TTL_MS,
    logger,
  });
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
    giftLedger,
    giftValues: config.GIFT_VALUES,
  });
  return {
    app,
    async close() {
      await bus.close();
      await sequencer.close();
      await moderationStore.close();
      await giftLedger.close();
    },
  };
});
