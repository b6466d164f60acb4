import { secret, z } from '@roomcast/config';
import { commonEnv, kafkaEnv, redisEnv } from '@roomcast/service-kit';
import { MAX_CHAT_TEXT_CHARS } from '@roomcast/contracts';
import { DEFAULT_GIFT_COMBO_WINDOW_MS, parseGiftValues } from '@roomcast/live';

/** The gifts' settings (docs/live-room.md "Gifts"); the embedded start takes them too. */
export const giftEnv = {
  GIFT_COMBO_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .max(600_000)
    .default(DEFAULT_GIFT_COMBO_WINDOW_MS)
    .describe('The same gift from the same sender in a room within this long of the previous one extends its combo, ms'),
  GIFT_VALUES: z
    .string()
    .default('rose=1,heart=5,rocket=100')
    .transform((text, ctx) => {
      try {
        return parseGiftValues(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .describe('The gift catalog for the leaderboard: giftId=price, comma-separated; a gift not listed is worth 1 (each gift counts count × price)'),
};

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...redisEnv,
  ...giftEnv,
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
