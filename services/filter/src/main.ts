import { hostname } from 'node:os';
import { resolveFilterTopics, resolveTopics } from '@roomcast/contracts';
import { runService } from '@roomcast/service-kit';
import { createKafkaBus, createRedisSequencer, createTokenVerifierFromConfig } from '@roomcast/service-kit/infra';
import { MongoDictionaryStore, MongoReviewStore, MongoRoomRoleStore } from '@roomcast/store';
import { createFilterApp } from './app';
import { configSchema } from './config';
import { loadBaseDictionary } from './dictionary-file';

runService('filter', configSchema, (config, logger) => {
  const base = loadBaseDictionary({ blockedWords: config.FILTER_BLOCKED_WORDS, maskedWords: config.FILTER_MASKED_WORDS, file: config.FILTER_DICTIONARY_FILE });
  const bus = createKafkaBus(config, 'filter', logger);
  const sequencer = createRedisSequencer(config);
  const mongo = { uri: config.MONGO_URL, dbName: config.MONGO_DB, logger };
  const dictionaryStore = new MongoDictionaryStore(mongo);
  const reviewStore = new MongoReviewStore(mongo);
  const roles = new MongoRoomRoleStore(mongo);
  const instanceId = config.FILTER_INSTANCE_ID ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 48)}-${process.pid}`;
  if (config.FILTER_ADMIN_TOKEN === undefined) logger.warn('FILTER_ADMIN_TOKEN is not set: the /dictionary and /review APIs are off');
  const userTokens = config.JWT_SECRET !== undefined || config.JWT_JWKS_URL !== undefined || config.JWT_JWKS_FILE !== undefined;
  if (!userTokens) logger.warn('none of JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE is set: room hosts cannot use /rooms/:roomId/words (the admin token still can)');
  const app = createFilterApp({
    bus,
    sequencer: sequencer.sequencer,
    dictionaryStore,
    reviewStore,
    base,
    logger,
    topics: resolveTopics(config.KAFKA_TOPIC_PREFIX),
    dictionaryTopic: resolveFilterTopics(config.KAFKA_TOPIC_PREFIX).dictionaryChanged,
    groupId: config.FILTER_GROUP_ID,
    instanceId,
    adminToken: config.FILTER_ADMIN_TOKEN,
    verifyToken: userTokens ? createTokenVerifierFromConfig(config) : undefined,
    roles,
    tuning: {
      maxTextLength: config.FILTER_MAX_TEXT_CHARS,
      reloadDebounceMs: config.FILTER_RELOAD_DEBOUNCE_MS,
      compileInWorker: config.FILTER_COMPILE_IN_WORKER,
      pollIntervalMs: config.FILTER_DICTIONARY_POLL_MS,
      roomCacheSize: config.FILTER_ROOM_CACHE_SIZE,
    },
  });
  return {
    app,
    async close() {
      await bus.close();
      await sequencer.close();
      await dictionaryStore.close();
      await reviewStore.close();
      await roles.close();
    },
  };
});
