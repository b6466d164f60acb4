import { envBoolean, envList, secret, z } from '@roomcast/config';
import { authEnv, commonEnv, kafkaEnv, mongoEnv, redisEnv } from '@roomcast/service-kit';

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...redisEnv,
  ...mongoEnv,
  // Optional here: without them the room words API takes the admin token only.
  ...authEnv,
  PORT: commonEnv.PORT.default(8083),
  FILTER_GROUP_ID: z.string().default('filter').describe('Kafka consumer group of the message consumer; each instance also joins `<this>.dict.<FILTER_INSTANCE_ID>` for dictionary changes'),
  FILTER_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional()
    .describe('Unique per running instance (its dictionary-change consumer group); default: hostname-pid'),
  FILTER_BLOCKED_WORDS: envList.optional().describe('Comma-separated words that reject a message (category "blocked")'),
  FILTER_MASKED_WORDS: envList.optional().describe('Comma-separated words that are masked with *'),
  FILTER_DICTIONARY_FILE: z.string().min(1).optional().describe('Dictionary loaded at start: `.json`, else text lines `word[,policy[,category]]` (docs/filter.md)'),
  FILTER_ADMIN_TOKEN: secret(z.string().min(16)).optional().describe('Bearer token of the /dictionary and /review APIs (16+ chars), also accepted by /rooms/:roomId/words; unset = /dictionary and /review are off'),
  FILTER_MAX_TEXT_CHARS: z.coerce.number().int().positive().max(100_000).default(2000).describe('Longest text checked, UTF-16 units; longer is rejected with reason "text-too-long"'),
  FILTER_COMPILE_IN_WORKER: envBoolean.default(true).describe('Compile dictionary reloads in a worker thread so checking never pauses (false = on the event loop)'),
  FILTER_RELOAD_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(200).describe('How long a dictionary change waits for more changes before the rebuild, ms'),
  FILTER_DICTIONARY_POLL_MS: z.coerce.number().int().min(0).default(30_000).describe('How often dictionary versions are read from MongoDB to catch lost announcements, ms (0 = never)'),
  FILTER_ROOM_CACHE_SIZE: z.coerce.number().int().positive().default(1000).describe('Rooms whose own dictionary is kept compiled (LRU)'),
  SEQ_ASSIGNMENT_TTL_MS: z.coerce.number().int().positive().default(24 * 3600 * 1000).describe('How long message id -> seq is remembered for replays, ms'),
});
export type FilterConfig = z.infer<typeof configSchema>;
