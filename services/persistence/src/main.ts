import { resolveTopics } from '@roomcast/contracts';
import { runService } from '@roomcast/service-kit';
import { createKafkaBus, createMongoStore, createTokenVerifierFromConfig } from '@roomcast/service-kit/infra';
import { RedisModerationStore } from '@roomcast/moderation';
import { RedisInboxCounters } from '@roomcast/presence';
import { MongoInboxStore, MongoModerationAuditStore, MongoRoomRoleStore } from '@roomcast/store';
import { createPersistenceApp } from './app';
import { configSchema } from './config';

runService('persistence', configSchema, (config, logger) => {
  const bus = createKafkaBus(config, 'persistence', logger);
  const store = createMongoStore(config, logger);
  // The same server, database and options as the message store (each adapter owns its connection).
  const mongo = { uri: config.MONGO_URL, dbName: config.MONGO_DB, logger };
  const audit = new MongoModerationAuditStore(mongo);
  const roles = new MongoRoomRoleStore(mongo);
  const inbox = new MongoInboxStore(mongo);
  const moderationStore = new RedisModerationStore({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  // The gateways read these at connect (the same REDIS_URL and REDIS_KEY_PREFIX).
  const inboxCounters = new RedisInboxCounters({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const app = createPersistenceApp({
    bus,
    store,
    audit,
    roles,
    inbox,
    inboxCounters,
    moderationStore,
    logger,
    topics: resolveTopics(config.KAFKA_TOPIC_PREFIX),
    groupId: config.PERSISTENCE_GROUP_ID,
    fetch: { minBytes: config.PERSISTENCE_FETCH_MIN_BYTES, maxWaitMs: config.PERSISTENCE_FETCH_MAX_WAIT_MS },
    verifyToken: createTokenVerifierFromConfig(config),
  });
  return {
    app,
    async close() {
      await bus.close();
      await store.close();
      await audit.close();
      await roles.close();
      await inbox.close();
      await moderationStore.close();
      await inboxCounters.close();
    },
  };
});
