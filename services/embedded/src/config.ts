import { envList, secret, z } from '@roomcast/config';
import { giftEnv } from '@roomcast/chat-ingest/config';
import { gatewayTuningEnv } from '@roomcast/gateway/config';
import { commonEnv, recentMessagesEnv } from '@roomcast/service-kit';

/**
 * The embedded start: every service in one process on in-memory twins. For trying roomcast
 * and for tests; production runs each service on its own against Kafka, Redis and MongoDB.
 */
export const configSchema = z.object({
  ...commonEnv,
  ...gatewayTuningEnv,
  ...recentMessagesEnv,
  ...giftEnv,
  PORT: commonEnv.PORT.default(8080),
  HOST: z.string().default('127.0.0.1').describe('Bind address; the dev token endpoint makes this unsafe to expose'),
  JWT_SECRET: secret(z.string().min(8)).default('roomcast-embedded-dev-secret').describe('HS256 secret; the embedded start mints tokens at POST /dev/token'),
  FILTER_BLOCKED_WORDS: envList.default(['badword', 'spamlink', '赌博']).describe('Words that reject a message'),
  FILTER_MASKED_WORDS: envList.default(['darn', 'heck']).describe('Words masked with *'),
  FILTER_DICTIONARY_FILE: z.string().min(1).optional().describe('Dictionary loaded at start (docs/filter.md); default: services/filter/dictionaries/default.txt'),
  FILTER_ADMIN_TOKEN: secret(z.string().min(16)).default('roomcast-embedded-admin-token').describe('Bearer token of the filter /dictionary and /review APIs and the notice API POST /rooms/:roomId/notices (a dev default, like JWT_SECRET here)'),
  GATEWAY_ID: z.string().default('embedded'),
});
export type EmbeddedConfig = z.infer<typeof configSchema>;
