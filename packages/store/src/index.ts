export {
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  resolveHistoryQuery,
  type HistoryQuery,
  type MessageStore,
  type StoredMessage,
} from './message-store';
export { InMemoryMessageStore } from './message-store.memory';
export {
  MongoMessageStore,
  MESSAGES_COLLECTION,
  DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
  type MongoMessageStoreOptions,
} from './message-store.mongo';
