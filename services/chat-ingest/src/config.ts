import { secret, z } from '@roomcast/config';
import { commonEnv, kafkaEnv, redisEnv } from '@roomcast/service-kit';
import { MAX_CHAT_TEXT_CHARS } from '@roomcast/contracts';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...redisEnv,
  PORT: commonEnv.PORT.default(8082),
  INGEST_GROUP_ID: z.string().default('chat-ingest').describe('Kafka consumer group'),
  INGEST_DEDUP_TTL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3600 * 1000)
    .describe('How long a (userId, clientMsgId) pair is remembered, ms'),
  INGEST_ADMIN_TOKEN: secret(z.string().min(16))
    .optional()
    .describe('Bearer token of the system notice API (POST /rooms/:roomId/notices); unset = the API is off'),
  INGEST_MAX_TEXT_CHARS: z.coerce
    .number()
    .int()
    .positive()
    .max(MAX_CHAT_TEXT_CHARS)
    .default(MAX_CHAT_TEXT_CHARS)
    .describe('Longest chat text accepted, UTF-16 units'),
});
export type ChatIngestConfig = z.infer<typeof configSchema>;
