export { InMemoryRoomStateHub, roomStateKeys, stateWriteLua, type RoomStateReader } from './room-state';
export { DEFAULT_ROOM_STATE_KEY_PREFIX, RedisRoomStateReader, roomStateRedis } from './room-state.redis';
