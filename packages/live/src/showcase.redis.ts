import { evalScript, LuaScript, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import { DEFAULT_ROOM_STATE_KEY_PREFIX, roomStateKeys, roomStateRedis, stateWriteLua } from '@roomcast/room-state';
import type Redis from 'ioredis';
import {
  notOnShow,
  type BuyOutcome,
  type PinnedValue,
  type ProductCard,
  type ProductValue,
  type ShowcaseStore,
} from './showcase';

/**
 * Lua: the `product` value as viewers get it — the card's JSON (an object, so it ends with `}`)
 * with `stock` and `soldOut` appended. Plain concatenation, not cjson: the card's fields keep the
 * text the host's frame was validated as, and numbers never turn into `1e+14`.
 */
const RENDER_PRODUCT = `
local function render(card, stock)
  return string.sub(card, 1, -2) .. ',"stock":' .. string.format('%d', stock)
    .. ',"soldOut":' .. (stock == 0 and 'true' or 'false') .. '}'
end`;

/**
 * PIN — KEYS[1] room-state hash, KEYS[2] room-state version; ARGV[1] the `pinned` JSON.
 * The rendered value is the only structure the pinned message has.
 */
const PIN = new LuaScript(stateWriteLua('KEYS[1]', 'KEYS[2]', "'pinned'", 'ARGV[1]'));

/** UNPIN — KEYS as PIN. Returns 1 if something was pinned (now `null`), 0 if nothing was. */
const UNPIN = new LuaScript(`
local cur = redis.call('HGET', KEYS[1], 'pinned')
if not cur or cur == 'null' then return 0 end
${stateWriteLua('KEYS[1]', 'KEYS[2]', "'pinned'", "'null'")}
return 1`);

/**
 * SHOW — KEYS[1] the room's sale hash, KEYS[2] room-state hash, KEYS[3] room-state version;
 * ARGV[1] productId, ARGV[2] the card's JSON, ARGV[3] stock, ARGV[4] the host.
 * Replaces the product on show, starts a stock generation (`gen`), clears the sold-out flag
 * (`announced`). Returns the rendered `product` JSON.
 */
const SHOW = new LuaScript(`${RENDER_PRODUCT}
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'pid', ARGV[1], 'card', ARGV[2], 'stock', ARGV[3], 'by', ARGV[4])
redis.call('HDEL', KEYS[1], 'announced')
local json = render(ARGV[2], tonumber(ARGV[3]))
${stateWriteLua('KEYS[2]', 'KEYS[3]', "'product'", 'json')}
return json`);

/**
 * STOCK — KEYS as SHOW; ARGV[1] productId, ARGV[2] stock. Sets the stock of the product on show
 * and starts a new generation; a stock > 0 clears the sold-out flag, so selling out again is
 * announced again. Returns the rendered `product` JSON, or nil when `productId` is not on show.
 */
const STOCK = new LuaScript(`${RENDER_PRODUCT}
if redis.call('HGET', KEYS[1], 'pid') ~= ARGV[1] then return false end
local stock = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'stock', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'gen', 1)
if stock > 0 then redis.call('HDEL', KEYS[1], 'announced') end
local json = render(redis.call('HGET', KEYS[1], 'card'), stock)
${stateWriteLua('KEYS[2]', 'KEYS[3]', "'product'", 'json')}
return json`);

/**
 * BUY — KEYS[1] the room's sale hash, KEYS[2] the product's buyers hash (userId → units),
 * KEYS[3] room-state hash, KEYS[4] room-state version; ARGV[1] productId, ARGV[2] quantity,
 * ARGV[3] userId. All or nothing: takes the units only if the product is on show and enough are
 * left. The purchase that leaves 0 sets the sold-out flag (`announced` = generation, HSETNX), so
 * exactly one purchase per generation is told to announce it.
 * Returns {status, remaining, generation, host, card JSON}: status 0 not on show, 1 too few,
 * 2 bought, 3 bought and sold out (announce).
 */
const BUY = new LuaScript(`${RENDER_PRODUCT}
local sale = redis.call('HMGET', KEYS[1], 'pid', 'stock', 'gen', 'by', 'card')
if sale[1] ~= ARGV[1] then return {0, 0} end
local q = tonumber(ARGV[2])
local stock = tonumber(sale[2])
if stock < q then return {1, stock} end
local left = redis.call('HINCRBY', KEYS[1], 'stock', -q)
redis.call('HINCRBY', KEYS[2], ARGV[3], q)
local status = 2
if left == 0 and redis.call('HSETNX', KEYS[1], 'announced', sale[3]) == 1 then status = 3 end
local json = render(sale[5], left)
${stateWriteLua('KEYS[3]', 'KEYS[4]', "'product'", 'json')}
return {status, left, tonumber(sale[3]), sale[4], sale[5]}`);

/**
 * The showcase in Redis. Keys (under the prefix), besides the room state's:
 * - `showcase:<roomId>` — a hash: `pid` the product on show, `card` its JSON, `stock` units left,
 *   `by` the host who pushed it, `gen` the stock generation, `announced` the generation whose
 *   sell-out was announced (absent = not yet).
 * - `showcase-buyers:<roomId>:<productId>` — a hash: userId → units bought.
 * No TTL, like the room state: a room's sale lasts as long as the room's state.
 */
export class RedisShowcaseStore implements ShowcaseStore {
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisAdapterOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_ROOM_STATE_KEY_PREFIX;
    this.client = roomStateRedis(options, 'showcase');
    this.redis = this.client.redis;
  }

  private keys(roomId: string): { sale: string; state: string; version: string } {
    return { sale: `${this.prefix}showcase:${roomId}`, ...roomStateKeys(this.prefix, roomId) };
  }

  private buyersKey(roomId: string, productId: string): string {
    return `${this.prefix}showcase-buyers:${roomId}:${productId}`;
  }

  async pin(roomId: string, pinned: PinnedValue): Promise<void> {
    const k = this.keys(roomId);
    await this.client.call('showcase.pin', () =>
      evalScript(this.redis, PIN, [k.state, k.version], [JSON.stringify(pinned)]),
    );
  }

  async unpin(roomId: string): Promise<boolean> {
    const k = this.keys(roomId);
    const reply = await this.client.call('showcase.unpin', () =>
      evalScript(this.redis, UNPIN, [k.state, k.version], []),
    );
    return reply === 1;
  }

  async show(roomId: string, product: ProductCard, stock: number, by: string): Promise<ProductValue> {
    const k = this.keys(roomId);
    const card: ProductCard = {
      productId: product.productId,
      title: product.title,
      priceCents: product.priceCents,
      currency: product.currency,
      ...(product.imageUrl === undefined ? {} : { imageUrl: product.imageUrl }),
    };
    const reply = await this.client.call('showcase.show', () =>
      evalScript(
        this.redis,
        SHOW,
        [k.sale, k.state, k.version],
        [product.productId, JSON.stringify(card), stock, by],
      ),
    );
    return JSON.parse(String(reply)) as ProductValue;
  }

  async setStock(roomId: string, productId: string, stock: number): Promise<ProductValue> {
    const k = this.keys(roomId);
    const reply = await this.client.call('showcase.stock', () =>
      evalScript(this.redis, STOCK, [k.sale, k.state, k.version], [productId, stock]),
    );
    if (reply === null) throw notOnShow(productId);
    return JSON.parse(String(reply)) as ProductValue;
  }

  async buy(roomId: string, userId: string, productId: string, quantity: number): Promise<BuyOutcome> {
    const k = this.keys(roomId);
    const reply = (await this.client.call('showcase.buy', () =>
      evalScript(
        this.redis,
        BUY,
        [k.sale, this.buyersKey(roomId, productId), k.state, k.version],
        [productId, quantity, userId],
      ),
    )) as [number, number, number?, string?, string?];
    const [status, remaining, generation, by, card] = reply;
    if (status === 0) return { ok: false, reason: 'not-on-show', remaining: 0 };
    if (status === 1) return { ok: false, reason: 'too-few', remaining };
    return {
      ok: true,
      remaining,
      soldOut:
        status === 3
          ? { generation: generation ?? 0, by: by ?? '', title: (JSON.parse(card ?? '{}') as Partial<ProductCard>).title ?? '' }
          : null,
    };
  }

  async purchases(roomId: string, productId: string): Promise<Record<string, number>> {
    const all = await this.client.call('showcase.purchases', () =>
      this.redis.hgetall(this.buyersKey(roomId, productId)),
    );
    return Object.fromEntries(Object.entries(all).map(([u, n]) => [u, Number(n)]));
  }

  healthy(): Promise<boolean> {
    return this.client.healthy();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
