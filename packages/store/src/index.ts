export {
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  resolveHistoryQuery,
  type HistoryQuery,
  type MessageRef,
  type MessageStore,
  type MessageTrace,
  type StoredMessage,
} from './message-store';
export { InMemoryMessageStore } from './message-store.memory';
export {
  MongoMessageStore,
  MESSAGES_COLLECTION,
  DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
  type MongoMessageStoreOptions,
} from './message-store.mongo';
export { DEFAULT_STORE_SERVER_SELECTION_TIMEOUT_MS, type MongoStoreOptions } from './connection.mongo';
export {
  DICTIONARY_POLICIES,
  type DictionaryChange,
  type DictionaryEntry,
  type DictionaryEntryInput,
  type DictionaryPolicy,
  type DictionaryScopeRef,
  type DictionarySnapshot,
  type DictionaryStore,
  type DictionaryVersions,
  type DictionaryWordInput,
} from './dictionary-store';
export { InMemoryDictionaryStore } from './dictionary-store.memory';
export { MongoDictionaryStore, DICTIONARY_COLLECTION, DICTIONARY_VERSIONS_COLLECTION } from './dictionary-store.mongo';
export {
  DEFAULT_REVIEW_LIMIT,
  MAX_REVIEW_LIMIT,
  resolveReviewLimit,
  type NewReviewItem,
  type ReviewClaim,
  type ReviewDecision,
  type ReviewItem,
  type ReviewListQuery,
  type ReviewStatus,
  type ReviewStore,
} from './review-store';
export { InMemoryReviewStore } from './review-store.memory';
export { MongoReviewStore, REVIEW_COLLECTION, REVIEW_CLAIMS_COLLECTION } from './review-store.mongo';
export { type RoomRoleGrant, type RoomRoleStore } from './room-role-store';
export { InMemoryRoomRoleStore } from './room-role-store.memory';
export { MongoRoomRoleStore, ROOM_ROLES_COLLECTION } from './room-role-store.mongo';
export {
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  auditLimit,
  type AuditQuery,
  type ModerationAuditStore,
} from './moderation-audit-store';
export { InMemoryModerationAuditStore } from './moderation-audit-store.memory';
export { MongoModerationAuditStore, MODERATION_AUDIT_COLLECTION } from './moderation-audit-store.mongo';
export {
  DEFAULT_INBOX_LIMIT,
  MAX_INBOX_LIMIT,
  inboxAdded,
  inboxItemId,
  inboxLimit,
  type InboxAdded,
  type InboxPage,
  type InboxQuery,
  type InboxStore,
  type NewInboxEntry,
} from './inbox-store';
export { InMemoryInboxStore } from './inbox-store.memory';
export { MongoInboxStore, INBOX_COLLECTION } from './inbox-store.mongo';
