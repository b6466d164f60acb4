import type { InMemoryRoomStateHub } from '@roomcast/room-state';
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

interface RoomSale {
  card: ProductCard;
  stock: number;
  by: string;
  generation: number;
  /** The generation whose sell-out was announced (the SET NX flag of the Redis adapter). */
  announced: number | undefined;
  /** That announcement is owed: the lease of whoever is publishing it ends here (ms). */
  owedUntil: number | undefined;
}

/**
 * The in-memory twin of `RedisShowcaseStore` (embedded start, unit tests). Single-threaded JS
 * makes each method atomic; the rendered values go to `hub` like the Redis scripts write them.
 */
export class InMemoryShowcaseStore implements ShowcaseStore {
  private readonly sales = new Map<string, RoomSale>();
  /** `<roomId>\n<productId>` → userId → units. */
  private readonly bought = new Map<string, Map<string, number>>();
  private readonly pinned = new Set<string>();

  constructor(
    private readonly hub: InMemoryRoomStateHub,
    private readonly soldOutLeaseMs = DEFAULT_SOLD_OUT_LEASE_MS,
  ) {}

  async pin(roomId: string, pinned: PinnedValue): Promise<void> {
    this.pinned.add(roomId);
    this.hub.put(roomId, 'pinned', pinned);
  }

  async unpin(roomId: string): Promise<boolean> {
    if (!this.pinned.delete(roomId)) return false;
    this.hub.put(roomId, 'pinned', null);
    return true;
  }

  async show(roomId: string, product: ProductCard, stock: number, by: string): Promise<ProductValue> {
    const generation = (this.sales.get(roomId)?.generation ?? 0) + 1;
    const sale: RoomSale = { card: { ...product }, stock, by, generation, announced: undefined, owedUntil: undefined };
    this.sales.set(roomId, sale);
    return this.render(roomId, sale);
  }

  async setStock(roomId: string, productId: string, stock: number): Promise<ProductValue> {
    const sale = this.sales.get(roomId);
    if (sale?.card.productId !== productId) throw notOnShow(productId);
    sale.stock = stock;
    sale.generation += 1;
    sale.owedUntil = undefined;
    if (stock > 0) sale.announced = undefined;
    return this.render(roomId, sale);
  }

  async buy(roomId: string, userId: string, productId: string, quantity: number, now: number): Promise<BuyOutcome> {
    const sale = this.sales.get(roomId);
    if (sale?.card.productId !== productId) return { ok: false, reason: 'not-on-show', remaining: 0 };
    if (sale.stock < quantity) return { ok: false, reason: 'too-few', remaining: sale.stock };
    sale.stock -= quantity;
    const key = `${roomId}\n${productId}`;
    let users = this.bought.get(key);
    if (users === undefined) this.bought.set(key, (users = new Map()));
    users.set(userId, (users.get(userId) ?? 0) + quantity);
    let soldOut: { generation: number; by: string; title: string } | null = null;
    if (sale.stock === 0 && sale.announced === undefined) {
      sale.announced = sale.generation;
      sale.owedUntil = now + this.soldOutLeaseMs;
      soldOut = { generation: sale.generation, by: sale.by, title: sale.card.title };
    }
    this.render(roomId, sale);
    return { ok: true, remaining: sale.stock, soldOut };
  }

  async owedSoldOut(roomIds: readonly string[], now: number): Promise<OwedSoldOut[]> {
    const out: OwedSoldOut[] = [];
    for (const roomId of roomIds) {
      const sale = this.sales.get(roomId);
      if (sale?.owedUntil === undefined || sale.announced === undefined || sale.owedUntil > now) continue;
      sale.owedUntil = now + this.soldOutLeaseMs;
      out.push({ roomId, productId: sale.card.productId, generation: sale.announced, by: sale.by, title: sale.card.title });
    }
    return out;
  }

  async soldOutAnnounced(roomId: string, productId: string, generation: number): Promise<void> {
    const sale = this.sales.get(roomId);
    if (sale?.card.productId === productId && sale.announced === generation) sale.owedUntil = undefined;
  }

  async purchases(roomId: string, productId: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.bought.get(`${roomId}\n${productId}`) ?? []);
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  private render(roomId: string, sale: RoomSale): ProductValue {
    const value: ProductValue = { ...sale.card, stock: sale.stock, soldOut: sale.stock === 0 };
    this.hub.put(roomId, 'product', value);
    return value;
  }
}
