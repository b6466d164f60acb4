import { z } from '@roomcast/config';
import { authEnv, commonEnv, kafkaEnv, mongoEnv, redisEnv } from '@roomcast/service-kit';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...mongoEnv,
  // Bans, for the history API (a banned user may not read the room).
  ...redisEnv,
  ...authEnv,
  PORT: commonEnv.PORT.default(8084),
  PERSISTENCE_GROUP_ID: z.string().default('persistence').describe('Kafka consumer group'),
  PERSISTENCE_FETCH_MIN_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(65_536)
    .describe(
      'A fetch waits for this many bytes of accepted messages (or the max wait): bigger inserts, less CPU',
    ),
  PERSISTENCE_FETCH_MAX_WAIT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(5_000)
    .default(200)
    .describe(
      'Longest a fetch waits for PERSISTENCE_FETCH_MIN_BYTES, ms (how far history may lag behind delivery)',
    ),
});
export type PersistenceConfig = z.infer<typeof configSchema>;
