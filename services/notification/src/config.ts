import { z } from '@roomcast/config';
import { commonEnv, kafkaEnv, recentMessagesEnv, redisEnv } from '@roomcast/service-kit';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...redisEnv,
  PORT: commonEnv.PORT.default(8085),
  NOTIFICATION_GROUP_ID: z.string().default('notification').describe('Kafka consumer group'),
  ...recentMessagesEnv,
});
export type NotificationConfig = z.infer<typeof configSchema>;
