import { hostname } from 'node:os';
import { resolveTopics } from '@roomcast/contracts';
import { runService } from '@roomcast/service-kit';
import { createKafkaBus, createRedisPresence, createRedisRecentMessages, createTokenVerifierFromConfig } from '@roomcast/service-kit/infra';
import { LiveActions, pollFeatures, questionFeatures, RedisPollBox, RedisQuestionBoard, RedisShowcaseStore, ShowcaseFeature } from '@roomcast/live';
import { RedisModerationStore } from '@roomcast/moderation';
import { RedisInboxCounters } from '@roomcast/presence';
import { RedisRoomStateReader } from '@roomcast/room-state';
import { MongoInboxStore, MongoRoomRoleStore } from '@roomcast/store';
import { createGatewayApp, gatewayOptionsFromConfig } from './app';
import { configSchema } from './config';

runService('gateway', configSchema, (config, rootLogger) => {
  const gatewayId = config.GATEWAY_ID ?? `gw-${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}`;
  const logger = rootLogger.child({ gatewayId });
  const bus = createKafkaBus(config, `gateway-${gatewayId}`, logger);
  const presence = createRedisPresence(config);
  const recent = createRedisRecentMessages(config);
  const verifyToken = createTokenVerifierFromConfig(config);
  const moderationStore = new RedisModerationStore({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const roles = new MongoRoomRoleStore({ uri: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  // Read once per connect (the `inbox` frame); persistence writes it and creates its indexes.
  const inbox = new MongoInboxStore({ uri: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  // Read first, so users with nothing unread cost no MongoDB read; persistence keeps them.
  const inboxCounters = new RedisInboxCounters({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const roomState = new RedisRoomStateReader({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const topics = resolveTopics(config.KAFKA_TOPIC_PREFIX);
  const questions = new RedisQuestionBoard({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const polls = new RedisPollBox({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const showcaseStore = new RedisShowcaseStore({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const live = new LiveActions([
    questionFeatures(questions),
    pollFeatures({ box: polls, bus, topics, gatewayId }),
    new ShowcaseFeature({ store: showcaseStore, bus, topics, gatewayId, logger }),
  ]);
  const app = createGatewayApp({
    bus,
    presence,
    recent,
    verifyToken,
    moderationStore,
    roles,
    live,
    roomState,
    inbox,
    inboxCounters,
    logger,
    topics,
    options: gatewayOptionsFromConfig(config, gatewayId),
  });
  return {
    app,
    async close() {
      await bus.close();
      await presence.close();
      await recent.close();
      await moderationStore.close();
      await roles.close();
      await inbox.close();
      await inboxCounters.close();
      await roomState.close();
      await questions.close();
      await polls.close();
      await showcaseStore.close();
    },
  };
});
