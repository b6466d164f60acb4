import { evalScript, LuaScript, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import { DEFAULT_ROOM_STATE_KEY_PREFIX, roomStateKeys, roomStateRedis, stateWriteLua } from '@roomcast/room-state';
import type Redis from 'ioredis';
import { AppError } from '@roomcast/errors';
import {
  DEFAULT_SOLD_OUT_LEASE_MS,
  notOnShow,
  type BuyOutcome,
  type OwedSoldOut,
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
 * (`announced`) and any owed announcement (`owed`). Returns the rendered `product` JSON.
 */
const SHOW = new LuaScript(`${RENDER_PRODUCT}
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'pid', ARGV[1], 'card', ARGV[2], 'stock', ARGV[3], 'by', ARGV[4])
redis.call('HDEL', KEYS[1], 'announced', 'owed')
local json = render(ARGV[2], tonumber(ARGV[3]))
${stateWriteLua('KEYS[2]', 'KEYS[3]', "'product'", 'json')}
return json`);

/**
 * STOCK — KEYS as SHOW; ARGV[1] productId, ARGV[2] stock. Sets the stock of the product on show
 * and starts a new generation (dropping an owed announcement: it would be stale); a stock > 0
 * clears the sold-out flag, so selling out again is announced again. Returns the rendered
 * `product` JSON, or nil when `productId` is not on show.
 */
const STOCK = new LuaScript(`${RENDER_PRODUCT}
if redis.call('HGET', KEYS[1], 'pid') ~= ARGV[1] then return false end
local stock = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'stock', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HDEL', KEYS[1], 'owed')
if stock > 0 then redis.call('HDEL', KEYS[1], 'announced') end
local json = render(redis.call('HGET', KEYS[1], 'card'), stock)
${stateWriteLua('KEYS[2]', 'KEYS[3]', "'product'", 'json')}
return json`);

/**
 * BUY — KEYS[1] the room's sale hash, KEYS[2] the product's buyers hash (userId → units),
 * KEYS[3] room-state hash, KEYS[4] room-state version; ARGV[1] productId, ARGV[2] quantity,
 * ARGV[3] userId, ARGV[4] the announcement lease's end (ms). All or nothing: takes the units only
 * if the product is on show and enough are left. The purchase that leaves 0 sets the sold-out flag
 * (`announced` = generation, HSETNX), so exactly one purchase per generation is told to announce
 * it, and leaves it owed (`owed` = ARGV[4]) until SOLD_OUT_ANNOUNCED.
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
if left == 0 and redis.call('HSETNX', KEYS[1], 'announced', sale[3]) == 1 then
  status = 3
  redis.call('HSET', KEYS[1], 'owed', ARGV[4])
end
local json = render(sale[5], left)
${stateWriteLua('KEYS[3]', 'KEYS[4]', "'product'", 'json')}
return {status, left, tonumber(sale[3]), sale[4], sale[5]}`);

/**
 * OWED — KEYS: the sale hash of each room; ARGV[1] now (ms), ARGV[2] the new lease's end (ms).
 * Takes every owed announcement whose lease ended at or before now (renewing the lease): returns
 * {room index (1-based), productId, generation, host, card JSON} for each, flattened.
 */
const OWED = new LuaScript(`local out = {}
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local s = redis.call('HMGET', KEYS[i], 'owed', 'announced', 'pid', 'by', 'card')
  if s[1] and s[2] and tonumber(s[1]) <= now then
    redis.call('HSET', KEYS[i], 'owed', ARGV[2])
    for _, v in ipairs({i, s[3], s[2], s[4], s[5]}) do out[#out + 1] = v end
  end
end
return out`);

/**
 * SOLD_OUT_ANNOUNCED — KEYS[1] the sale hash; ARGV[1] productId, ARGV[2] generation. Clears the
 * owed announcement if it is still that sell-out's. Returns 1 if cleared, else 0.
 */
const SOLD_OUT_ANNOUNCED = new LuaScript(`local s = redis.call('HMGET', KEYS[1], 'pid', 'announced')
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] then return 0 end
return redis.call('HDEL', KEYS[1], 'owed')`);

/** Options of RedisShowcaseStore. */
export interface RedisShowcaseStoreOptions extends RedisAdapterOptions {
  /** The publisher's time for a sold-out announcement before a tick hands it on, ms. Default DEFAULT_SOLD_OUT_LEASE_MS. */
  soldOutLeaseMs?: number;
}

/**
 * The showcase in Redis. Keys (under the prefix), besides the room state's:
 * - `showcase:<roomId>` — a hash: `pid` the product on show, `card` its JSON, `stock` units left,
 *   `by` the host who pushed it, `gen` the stock generation, `announced` the generation whose
 *   sell-out was announced (absent = not yet), `owed` while that announcement is not yet
 *   published: the end of its publisher's lease (ms).
 * - `showcase-buyers:<roomId>:<productId>` — a hash: userId → units bought.
 * No TTL, like the room state: a room's sale lasts as long as the room's state.
 */
export class RedisShowcaseStore implements ShowcaseStore {
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly soldOutLeaseMs: number;

  constructor(options: RedisShowcaseStoreOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_ROOM_STATE_KEY_PREFIX;
    this.soldOutLeaseMs = options.soldOutLeaseMs ?? DEFAULT_SOLD_OUT_LEASE_MS;
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

  async buy(roomId: string, userId: string, productId: string, quantity: number, now: number): Promise<BuyOutcome> {
    const k = this.keys(roomId);
    const reply = (await this.client.call('showcase.buy', () =>
      evalScript(
        this.redis,
        BUY,
        [k.sale, this.buyersKey(roomId, productId), k.state, k.version],
        [productId, quantity, userId, now + this.soldOutLeaseMs],
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
          ? { generation: generation ?? 0, by: by ?? '', title: titleOf(card) }
          : null,
    };
  }

  async owedSoldOut(roomIds: readonly string[], now: number): Promise<OwedSoldOut[]> {
    if (roomIds.length === 0) return [];
    const keys = roomIds.map((r) => this.keys(r).sale);
    const reply = await this.client.call('showcase.owed', () => evalScript(this.redis, OWED, keys, [now, now + this.soldOutLeaseMs]));
    if (!Array.isArray(reply) || reply.length % 5 !== 0) throw new AppError('INTERNAL', 'showcase owed returned an unexpected reply');
    const out: OwedSoldOut[] = [];
    for (let i = 0; i < reply.length; i += 5) {
      const roomId = roomIds[Number(reply[i]) - 1];
      if (roomId === undefined) throw new AppError('INTERNAL', 'showcase owed named a room it was not given');
      out.push({ roomId, productId: String(reply[i + 1]), generation: Number(reply[i + 2]), by: String(reply[i + 3]), title: titleOf(reply[i + 4]) });
    }
    return out;
  }

  async soldOutAnnounced(roomId: string, productId: string, generation: number): Promise<void> {
    await this.client.call('showcase.announced', () => evalScript(this.redis, SOLD_OUT_ANNOUNCED, [this.keys(roomId).sale], [productId, generation]));
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

/** The title of a card JSON as stored ('' when it has none). */
function titleOf(card: unknown): string {
  return (JSON.parse(typeof card === 'string' ? card : '{}') as Partial<ProductCard>).title ?? '';
}
