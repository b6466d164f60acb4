import { envList, z } from '@roomcast/config';
import { commonEnv, kafkaEnv, redisEnv } from '@roomcast/service-kit';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...redisEnv,
  PORT: commonEnv.PORT.default(8083),
  FILTER_GROUP_ID: z.string().default('filter').describe('Kafka consumer group'),
  FILTER_BLOCKED_WORDS: envList.optional().describe('Comma-separated words that reject a message (category "blocked")'),
  FILTER_MASKED_WORDS: envList.optional().describe('Comma-separated words that are masked with *'),
  SEQ_ASSIGNMENT_TTL_MS: z.coerce.number().int().positive().default(24 * 3600 * 1000).describe('How long message id -> seq is remembered for replays, ms'),
});
export type FilterConfig = z.infer<typeof configSchema>;
