export type { RoomSequencer, SubmissionDeduper, SequencerBackend, ClaimResult } from './sequencer';
export {
  InMemorySequencerBackend,
  InMemorySequencerState,
  DEFAULT_MEMORY_ASSIGNMENT_TTL_MS,
  type InMemorySequencerBackendOptions,
} from './sequencer.memory';
export {
  RedisSequencerBackend,
  DEFAULT_SEQUENCER_KEY_PREFIX,
  DEFAULT_ASSIGNMENT_TTL_MS,
  SEQUENCER_CONNECT_TIMEOUT_MS,
  SEQUENCER_COMMAND_TIMEOUT_MS,
  type RedisSequencerBackendOptions,
} from './sequencer.redis';
export {
  DEFAULT_RECENT_MESSAGES,
  RECENT_HEAD_TTL_MS,
  USER_NOTICES_MAX,
  tombstone,
  type RecentMessages,
  type RecentEntry,
  type RecentRange,
  type RecentMessagesOptions,
} from './recent-messages';
export { InMemoryRecentMessages } from './recent-messages.memory';
export { RedisRecentMessages, type RedisRecentMessagesOptions } from './recent-messages.redis';
export { sequencerKeys } from './sequencer.redis';
