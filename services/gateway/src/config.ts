import { envBoolean, secret, z } from '@roomcast/config';
import { GATEWAY_ID_PATTERN, MAX_FRAME_BYTES, MAX_ROOMS_PER_CONNECTION } from '@roomcast/contracts';
import { authEnv, commonEnv, kafkaEnv, mongoEnv, recentMessagesEnv, redisEnv } from '@roomcast/service-kit';
import { parseThinningRules } from './thinning';

/** Gateway tuning, shared by the standalone service and the embedded start. */
export const gatewayTuningEnv = {
  WS_PATH: z.string().default('/ws').describe('WebSocket endpoint path'),
  WS_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(65536)
    .default(MAX_FRAME_BYTES)
    .describe('Largest inbound frame, bytes'),
  WS_MAX_ROOMS_PER_CONNECTION: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(MAX_ROOMS_PER_CONNECTION)
    .describe('Most rooms one connection may join'),
  WS_HEARTBEAT_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(25000)
    .describe('Server ping interval; a socket that did not answer the previous ping is closed with 4003'),
  WS_SEND_SOFT_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024)
    .describe('Above this buffered amount, droppable frames (likes, online) are dropped'),
  WS_SEND_HARD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024)
    .describe('Above this buffered amount the socket is closed with 4001'),
  WS_CHAT_RATE_PER_SEC: z.coerce
    .number()
    .positive()
    .default(20)
    .describe('Chat frames per second per connection (token bucket rate)'),
  WS_CHAT_BURST: z.coerce.number().int().positive().default(40).describe('Chat token bucket size'),
  USER_CHAT_RATE_PER_SEC: z.coerce
    .number()
    .positive()
    .optional()
    .describe('Chat per user over all their sockets and gateways (Redis token bucket); default WS_CHAT_RATE_PER_SEC'),
  USER_CHAT_BURST: z.coerce.number().int().positive().optional().describe('Per-user chat bucket size; default WS_CHAT_BURST'),
  USER_LIKES_PER_SEC: z.coerce
    .number()
    .positive()
    .default(20)
    .describe('Likes per user per room per second over all their sockets and gateways (a like frame of count n costs n)'),
  USER_LIKES_BURST: z.coerce.number().int().positive().default(200).describe('Per-user per-room likes bucket size'),
  PRESENCE_REFRESH_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10000)
    .describe('How often user/room presence TTLs are refreshed; TTL = 3x this'),
  LIKES_TICK_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(1000)
    .describe('Like counts are flushed and broadcast at this tick'),
  ONLINE_TICK_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(2000)
    .describe('Online counts are rolled up and broadcast at this tick'),
  DELIVERY_WINDOW_MS: z.coerce
    .number()
    .min(0)
    .max(1000)
    .default(100)
    .describe(
      "Longest a room's message waits to share a frame with the next ones, ms, counted from the room's previous flush (a quiet room flushes at the next tick); caps DELIVERY_ROOM_WRITES_PER_SEC's window",
    ),
  DELIVERY_ROOM_WRITES_PER_SEC: z.coerce
    .number()
    .int()
    .min(1)
    .default(40_000)
    .describe(
      "Socket writes per second one room's deliveries may cost on this gateway: a room with N viewers here flushes at most every N/this s (so 1 000 viewers: every 25 ms), never later than DELIVERY_WINDOW_MS",
    ),
  DELIVERY_MAX_BATCH: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe("A room's queued messages are flushed at once when this many wait"),
  DELIVERY_THIN_BUDGET_PER_SEC: z.coerce
    .number()
    .min(0)
    .default(0)
    .describe(
      'Thinning: ordinary chat messages per second a viewer gets in any room; above it the rest is left out of live delivery (still in history). 0 = off',
    ),
  DELIVERY_THIN_ROOMS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseThinningRules(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
        return z.NEVER;
      }
    })
    .describe(
      'Per-room thinning budgets overriding DELIVERY_THIN_BUDGET_PER_SEC: room=budget or prefix*=budget, comma-separated (0 = never thin that room)',
    ),
  CATCHUP_MAX_MESSAGES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(500)
    .describe(
      'Most messages one catch-up (join with afterSeq) sends, the newest; older missed ones are named in joined.missing for the client to page from history',
    ),
  CATCHUP_RATE_PER_SEC: z.coerce
    .number()
    .positive()
    .default(2)
    .describe('Catch-ups (joins with afterSeq) per second per connection; over it the join gets RATE_LIMITED'),
  CATCHUP_BURST: z.coerce
    .number()
    .int()
    .positive()
    .default(32)
    .describe('Catch-up token bucket size (a reconnect rejoins every room of the connection at once)'),
  WS_MAX_CONNECTIONS_PER_USER: z.coerce
    .number()
    .int()
    .min(0)
    .default(10)
    .describe('Open sockets one user may have over all gateways (counted in Redis; when Redis cannot answer, on this gateway alone); more are closed with 4505 (0 = no cap)'),
  WS_MAX_CONNECTIONS_PER_IP: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Open sockets one client address may have over all gateways (counted in Redis; when Redis cannot answer, on this gateway alone); more are closed with 4505 (0 = no cap: many viewers can share one NAT address)'),
  WS_TRUST_PROXY: envBoolean
    .default(false)
    .describe('Take the client address from the first X-Forwarded-For entry (set only behind a proxy that writes it; otherwise the socket peer)'),
  WS_MAX_ROOMS_PER_USER: z.coerce
    .number()
    .int()
    .min(1)
    .default(32)
    .describe('Rooms one user may be in over all their sockets on this gateway (TOO_MANY_ROOMS beyond)'),
  MODERATION_ADMIN_TOKEN: secret(z.string().min(16).optional()).describe(
    'Bearer token of the platform admin on the moderation API (POST/GET /rooms/:roomId/moderation): every action, including granting host; unset = users act by their room role only',
  ),
  ROOM_STATE_TICK_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(500)
    .describe('How often the rooms\' live state (gift leaderboard, Q&A, poll tallies, pinned message, product stock) is checked and changes pushed as room-state frames, ms'),
  GATEWAY_DRAIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(5000)
    .describe(
      'On SIGTERM, sockets are closed with 4000 (reconnect elsewhere) at random moments over this window, after their queued deliveries and replies in flight; keep it below SHUTDOWN_TIMEOUT_MS',
    ),
};

export const configSchema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  ...redisEnv,
  // The room-admin store (granted roles), read at join and by the moderation API.
  ...mongoEnv,
  ...recentMessagesEnv,
  ...authEnv,
  ...gatewayTuningEnv,
  PORT: commonEnv.PORT.default(8081),
  GATEWAY_ID: z
    .string()
    .regex(GATEWAY_ID_PATTERN)
    .optional()
    .describe('Stable id of this gateway (names its delivery topic); default gw-<hostname>'),
});
export type GatewayConfig = z.infer<typeof configSchema>;
