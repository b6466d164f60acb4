export {
  HOST_ACTION_ROLE,
  LiveActions,
  type LiveActor,
  type LiveFeatures,
  type LiveResult,
} from './live-actions';
export { DEFAULT_QUESTIONS_TTL_MS, QUESTIONS_SHOWN, type NewQuestion, type QuestionBoard, type QuestionMarks, type QuestionsValue } from './questions';
export { InMemoryQuestionBoard } from './questions.memory';
export { RedisQuestionBoard, type RedisQuestionBoardOptions } from './questions.redis';
export { questionFeatures } from './questions-features';
export { DEFAULT_POLL_TTL_MS, type ClosedPoll, type NewPoll, type PollBox, type PollValue } from './polls';
export { InMemoryPollBox } from './polls.memory';
export { RedisPollBox, type RedisPollBoxOptions } from './polls.redis';
export { newPollId, pollFeatures, type PollFeaturesDeps } from './polls-features';
export {
  formatPrice,
  ShowcaseFeature,
  UNPIN_TEXT,
  type BuyOutcome,
  type PinnedValue,
  type ProductCard,
  type ProductValue,
  type ShowcaseFeatureOptions,
  type ShowcaseStore,
} from './showcase';
export { InMemoryShowcaseStore } from './showcase.memory';
export { RedisShowcaseStore } from './showcase.redis';
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
