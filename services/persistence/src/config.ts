import { z } from '@roomcast/config';
import { commonEnv, kafkaEnv, mongoEnv } from '@roomcast/service-kit';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...mongoEnv,
  PORT: commonEnv.PORT.default(8084),
  PERSISTENCE_GROUP_ID: z.string().default('persistence').describe('Kafka consumer group'),
});
export type PersistenceConfig = z.infer<typeof configSchema>;
