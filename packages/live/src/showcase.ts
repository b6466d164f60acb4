import { randomUUID } from 'node:crypto';
import type { MessageBus } from '@roomcast/bus';
import type { HostAction, RoomEventData, TopicNames } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import { publishEvent } from '@roomcast/service-kit';
import type { LiveActor, LiveFeatures, LiveResult } from './live-actions';

/** The room-state value `pinned` (contracts `PinnedState`). */
export interface PinnedValue {
  text: string;
  /** The host who pinned it. */
  by: string;
  /** When, ms since epoch. */
  at: number;
  seq?: number;
}

/** A product card as the host pushes it (contracts `Product`), without the stock. */
export interface ProductCard {
  productId: string;
  title: string;
  priceCents: number;
  /** ISO 4217, e.g. `EUR`. */
  currency: string;
  imageUrl?: string;
}

/** The room-state value `product` (contracts `ProductState`): the card, the units left, and stock = 0. */
export interface ProductValue extends ProductCard {
  stock: number;
  soldOut: boolean;
}

/** What a purchase did. */
export type BuyOutcome =
  | {
      ok: true;
      remaining: number;
      /**
       * Set for exactly one purchase per stock generation: the one that took the stock to 0.
       * `generation` counts the host's pushes and restocks of the room's product; `by` is the host
       * who pushed it (the announcement's sender), `title` the product's.
       */
      soldOut: { generation: number; by: string; title: string } | null;
    }
  | {
      ok: false;
      /** `not-on-show`: another product (or none) is on show; `too-few`: fewer units than asked. */
      reason: 'not-on-show' | 'too-few';
      /** Units left of the product on show (0 when none is). */
      remaining: number;
    };

/** A sell-out whose announcement is owed (`ShowcaseStore.owedSoldOut`). */
export interface OwedSoldOut {
  roomId: string;
  productId: string;
  generation: number;
  /** The host who pushed the product: the announcement's sender. */
  by: string;
  title: string;
}

/**
 * How long the buyer's gateway has to publish a sold-out announcement (and call
 * `soldOutAnnounced`) before a tick hands it to another caller, ms.
 */
export const DEFAULT_SOLD_OUT_LEASE_MS = 10_000;

/**
 * The pinned message and the flash sale of a room (issue #14): the port behind `ShowcaseFeature`,
 * with a Redis adapter (`RedisShowcaseStore`, one Lua script per operation) and an in-memory twin
 * (`InMemoryShowcaseStore`). Every operation that changes what viewers see also writes the room's
 * rendered state (`pinned`, `product`) in the same atomic step.
 *
 * A sell-out's announcement is owed from the purchase that sold out until `soldOutAnnounced`: the
 * buyer's gateway holds a lease on it (`now` + the store's lease), and `owedSoldOut` hands one whose
 * lease ran out to its caller (renewing the lease), so a failed publish or a dead gateway does not
 * lose it. A new push or restock (a new generation) drops what is still owed: "sold out" would be
 * stale.
 */
export interface ShowcaseStore {
  /** Pins `pinned` (replacing what was pinned). */
  pin(roomId: string, pinned: PinnedValue): Promise<void>;
  /** Clears the pinned message; false when nothing was pinned. */
  unpin(roomId: string): Promise<boolean>;
  /**
   * Puts `product` on show with `stock` units (replacing the product on show), starting a new
   * stock generation. `by` is the host, recorded as the sender of its sold-out announcement.
   */
  show(roomId: string, product: ProductCard, stock: number, by: string): Promise<ProductValue>;
  /**
   * Sets the stock of the product on show and starts a new stock generation (so selling out again
   * is announced again); NOT_FOUND when `productId` is not on show.
   */
  setStock(roomId: string, productId: string, stock: number): Promise<ProductValue>;
  /**
   * Takes `quantity` units of the product on show for `userId`, atomically, or none. The purchase
   * that sells out owes the announcement, leased to the caller until `now` + the lease.
   */
  buy(roomId: string, userId: string, productId: string, quantity: number, now: number): Promise<BuyOutcome>;
  /** The owed sell-out announcements of these rooms whose lease ran out by `now`, each leased anew to this caller. */
  owedSoldOut(roomIds: readonly string[], now: number): Promise<OwedSoldOut[]>;
  /** The sell-out of `productId`'s `generation` was announced: nothing is owed any more (no-op if another is). */
  soldOutAnnounced(roomId: string, productId: string, generation: number): Promise<void>;
  /** Units bought per user of `productId` in the room (all generations). */
  purchases(roomId: string, productId: string): Promise<Record<string, number>>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store's refusal of a stock change for a product that is not on show. */
export function notOnShow(productId: string): AppError {
  return new AppError('NOT_FOUND', `${productId} is not the product on show in this room`);
}

/** Text of the `pin` message that announces an unpin (a message needs some text). */
export const UNPIN_TEXT = 'unpinned the message';

/** Options of `ShowcaseFeature`. */
export interface ShowcaseFeatureOptions {
  store: ShowcaseStore;
  /** Where the announcements (`pin`, `product`, `sold-out` messages) are published, as chat.message.submitted.v1. */
  bus: MessageBus;
  topics: TopicNames;
  /** The publishing gateway (ChatSubmittedV1.gatewayId). */
  gatewayId: string;
  logger: Logger;
  /** Default Date.now. */
  clock?: () => number;
}

/**
 * The pinned message and products of the live room, as a `LiveFeatures` object: the host's
 * `pin`/`unpin`/`product`/`stock` actions and the viewers' `buy`. Room state is written by the
 * store; the sequenced announcements go through the chat pipeline (high priority) with stable
 * clientMsgIds so a retried publish yields one message.
 */
export class ShowcaseFeature implements LiveFeatures {
  private readonly store: ShowcaseStore;
  private readonly clock: () => number;

  constructor(private readonly options: ShowcaseFeatureOptions) {
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
  }

  readonly host: NonNullable<LiveFeatures['host']> = {
    pin: (roomId, actor, action) => this.pin(roomId, actor, action),
    unpin: (roomId, actor) => this.unpin(roomId, actor),
    product: (roomId, actor, action) => this.product(roomId, actor, action),
    stock: (roomId, _actor, action) => this.stock(roomId, action),
  };

  async pin(roomId: string, actor: LiveActor, action: Extract<HostAction, { kind: 'pin' }>): Promise<LiveResult> {
    const at = this.clock();
    await this.store.pin(roomId, { text: action.text, by: actor.userId, at });
    const clientMsgId = `pin:${randomUUID()}`;
    await this.announce(roomId, actor.userId, clientMsgId, action.text, 'pin', { cleared: false }, at);
    return { pinned: true, clientMsgId };
  }

  async unpin(roomId: string, actor: LiveActor): Promise<LiveResult> {
    const cleared = await this.store.unpin(roomId);
    // Nothing was pinned: nothing to announce (a repeated unpin is a no-op).
    if (cleared) await this.announce(roomId, actor.userId, `pin:${randomUUID()}`, UNPIN_TEXT, 'pin', { cleared: true });
    return { cleared };
  }

  async product(roomId: string, actor: LiveActor, action: Extract<HostAction, { kind: 'product' }>): Promise<LiveResult> {
    const { kind: _kind, stock, ...card } = action;
    const shown = await this.store.show(roomId, card, stock, actor.userId);
    await this.announce(
      roomId,
      actor.userId,
      `product:${randomUUID()}`,
      `${card.title} — ${formatPrice(card.priceCents, card.currency)} (${stock} in stock)`,
      'product',
      { ...card, stock },
    );
    return { productId: shown.productId, stock: shown.stock };
  }

  async stock(roomId: string, action: Extract<HostAction, { kind: 'stock' }>): Promise<LiveResult> {
    const value = await this.store.setStock(roomId, action.productId, action.stock);
    return { productId: value.productId, stock: value.stock };
  }

  async buy(roomId: string, userId: string, productId: string, quantity: number): Promise<LiveResult> {
    const outcome = await this.store.buy(roomId, userId, productId, quantity, this.clock());
    if (!outcome.ok)
      throw new AppError(
        'SOLD_OUT',
        outcome.reason === 'not-on-show'
          ? `${productId} is not on sale in this room`
          : `only ${outcome.remaining} left of ${productId}`,
        { details: { productId, remaining: outcome.remaining } },
      );
    if (outcome.soldOut !== null) {
      // The purchase went through; a failed announcement must not turn it into an error for the
      // buyer. The room state (`product.soldOut`) says it at once, and the announcement stays
      // owed: a tick publishes it once this gateway's lease ran out.
      await this.announceSoldOut({ roomId, productId, ...outcome.soldOut }).catch((err: unknown) =>
        this.options.logger.error({ err, roomId, productId }, 'sold-out announcement failed; a later tick retries it'),
      );
    }
    return { productId, remaining: outcome.remaining };
  }

  /** Every room-state tick: publishes the owed sell-outs of these rooms whose lease ran out. */
  async tick(roomIds: string[]): Promise<void> {
    const owed = await this.store.owedSoldOut(roomIds, this.clock());
    await Promise.all(owed.map((o) => this.announceSoldOut(o)));
  }

  /** Publishes a sell-out (its clientMsgId makes a repeat one message) and clears what is owed. */
  private async announceSoldOut(o: OwedSoldOut): Promise<void> {
    await this.announce(o.roomId, o.by, `sold-out:${o.productId}:${o.generation}`, `Sold out: ${o.title}`, 'sold-out', { productId: o.productId });
    await this.store.soldOutAnnounced(o.roomId, o.productId, o.generation);
  }

  private announce(
    roomId: string,
    userId: string,
    clientMsgId: string,
    text: string,
    kind: 'pin' | 'product' | 'sold-out',
    data: RoomEventData,
    at = this.clock(),
  ): Promise<void> {
    const { bus, topics, gatewayId } = this.options;
    return publishEvent(bus, topics, 'chatSubmitted', {
      roomId,
      userId,
      clientMsgId,
      text,
      sentAt: at,
      gatewayId,
      submittedAt: this.clock(),
      kind,
      data,
      priority: 'high',
    });
  }
}

/** `1299, 'EUR'` → `12.99 EUR` (two minor digits; good enough for the card's plain text). */
export function formatPrice(priceCents: number, currency: string): string {
  return `${Math.floor(priceCents / 100)}.${String(priceCents % 100).padStart(2, '0')} ${currency}`;
}
