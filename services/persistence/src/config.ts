import { secret, z } from '@roomcast/config';
import { commonEnv, kafkaEnv, mongoEnv } from '@roomcast/service-kit';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...mongoEnv,
  PORT: commonEnv.PORT.default(8084),
  PERSISTENCE_GROUP_ID: z.string().default('persistence').describe('Kafka consumer group'),
  JWT_SECRET: secret(z.string().min(8)).describe('HS256 secret of the user tokens (the gateway\'s): the history API takes only valid ones'),
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
