export type { ConnectionCounts, ConnectionKind, PresenceStore } from './presence-store';
export { InMemoryPresenceStore, type InMemoryPresenceStoreOptions } from './presence-store.memory';
export {
  RedisPresenceStore,
  DEFAULT_PRESENCE_KEY_PREFIX,
  PRESENCE_CONNECT_TIMEOUT_MS,
  PRESENCE_COMMAND_TIMEOUT_MS,
  LIKES_TTL_MS,
  type RedisPresenceStoreOptions,
} from './presence-store.redis';
export type { InboxCounters } from './inbox-counters';
export { InMemoryInboxCounters } from './inbox-counters.memory';
export { RedisInboxCounters, INBOX_COUNTER_TTL_MS, INBOX_COUNTERS_COMMAND_TIMEOUT_MS, type RedisInboxCountersOptions } from './inbox-counters.redis';
