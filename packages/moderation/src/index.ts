export {
  emptyRoomState,
  isBanned,
  mutedUntil,
  type ModerationStore,
  type RoomModerationState,
} from './moderation-store';
export { InMemoryModerationStore } from './moderation-store.memory';
export {
  RedisModerationStore,
  DEFAULT_MODERATION_KEY_PREFIX,
  MODERATION_COMMAND_TIMEOUT_MS,
} from './moderation-store.redis';
export { ModerationView, DEFAULT_MODERATION_VIEW, type ModerationViewOptions } from './moderation-view';
export { RoomEventCache, type RoomEventCacheOptions } from './room-event-cache';
export { authorize, REQUIRED_ROLE } from './authorize';
export { RoomModeration, type Actor, type RoomModerationDeps } from './room-moderation';
