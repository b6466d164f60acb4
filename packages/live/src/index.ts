export {
  HOST_ACTION_ROLE,
  LiveActions,
  type LiveActor,
  type LiveFeatures,
  type LiveResult,
} from './live-actions';
export {
  compareLeaderboard,
  DEFAULT_GIFT_BOARD_TTL_MS,
  DEFAULT_GIFT_COMBO_WINDOW_MS,
  DEFAULT_GIFT_SEEN_TTL_MS,
  giftValue,
  LEADERBOARD_SIZE,
  parseGiftValues,
  type GiftCombo,
  type GiftEntry,
  type GiftLedger,
  type GiftLedgerOptions,
  type LeaderboardEntry,
} from './gift-ledger';
export { InMemoryGiftLedger } from './gift-ledger.memory';
export { DEFAULT_GIFT_KEY_PREFIX, RedisGiftLedger, type RedisGiftLedgerOptions } from './gift-ledger.redis';
