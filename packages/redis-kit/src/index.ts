export {
  createOwnedRedis,
  type OwnedRedis,
  type OwnedRedisOptions,
  type RedisAdapterOptions,
} from './owned-redis.redis';
export { LuaScript, evalScript, isNoScript } from './lua-script.redis';
