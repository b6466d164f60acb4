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
