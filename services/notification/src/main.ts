import { resolveTopics } from '@roomcast/contracts';
import { RedisQuestionBoard } from '@roomcast/live';
import { runService } from '@roomcast/service-kit';
import { createKafkaBus, createRedisPresence, createRedisRecentMessages } from '@roomcast/service-kit/infra';
import { createNotificationApp } from './app';
import { configSchema } from './config';

runService('notification', configSchema, (config, logger) => {
  const bus = createKafkaBus(config, 'notification', logger);
  const presence = createRedisPresence(config);
  const recent = createRedisRecentMessages(config);
  const questions = new RedisQuestionBoard({ redis: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const app = createNotificationApp({ bus, presence, recent, questions, logger, topics: resolveTopics(config.KAFKA_TOPIC_PREFIX), groupId: config.NOTIFICATION_GROUP_ID });
  return {
    app,
    async close() {
      await bus.close();
      await presence.close();
      await recent.close();
      await questions.close();
    },
  };
});
