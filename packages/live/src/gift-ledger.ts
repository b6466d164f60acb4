/**
 * Gifts' combos and the room leaderboard (issue #14, docs/live-room.md "Gifts"). chat-ingest
 * records every gift it passes on — claimed, not a duplicate — once per batch; the ledger answers
 * each gift's combo and re-renders the `leaderboard` room state of every room the batch touched.
 *
 * - Idempotent by the server message id: a replayed record (chat-ingest republishes it with the id
 *   it claimed the first time) gets the combo it got then and counts nothing twice.
 * - Combo: the same gift from the same sender in the same room, each within `comboWindowMs` of the
 *   previous one (the window restarts with every gift), is one combo: `id` = the message id of its
 *   first gift, `count` = the running total of the gift's counts.
 * - Leaderboard: per room, the total gift value per sender; the top `LEADERBOARD_SIZE` are rendered
 *   as `{top: [{userId, total}]}`, highest first (ties: the larger userId first, as Redis orders them).
 */
export interface GiftLedger {
  /** The combo of each gift, in order. Resolves once the combos, totals and rendered state are stored. */
  record(gifts: readonly GiftEntry[]): Promise<GiftCombo[]>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** One gift as chat-ingest passes it on. */
export interface GiftEntry {
  /** The server message id (chat-ingest's claim; the same on a replay). */
  messageId: string;
  roomId: string;
  userId: string;
  giftId: string;
  /** How many of the gift (1..MAX_GIFT_COUNT). */
  count: number;
  /** What it adds to the sender's leaderboard total: count × the gift's price. */
  value: number;
  /** When chat-ingest took it, ms since epoch: the combo window is measured between gifts' `at`. */
  at: number;
}

/** `data.combo` of a gift message. */
export interface GiftCombo {
  /** Message id of the combo's first gift. */
  id: string;
  /** The running total of the gift's counts in the combo. */
  count: number;
}

export interface GiftLedgerOptions {
  /** The most time between two gifts of one combo, ms. Default DEFAULT_GIFT_COMBO_WINDOW_MS. */
  comboWindowMs?: number;
  /** How long a gift's message id is remembered against replays, ms. Default 24 h (chat-ingest's dedup TTL). */
  seenTtlMs?: number;
  /** A room's leaderboard is dropped this long after its last gift, ms. Default 7 days. */
  boardTtlMs?: number;
}

export const DEFAULT_GIFT_COMBO_WINDOW_MS = 3000;
export const DEFAULT_GIFT_SEEN_TTL_MS = 24 * 3600 * 1000;
export const DEFAULT_GIFT_BOARD_TTL_MS = 7 * 24 * 3600 * 1000;
/** Senders shown in the rendered leaderboard. */
export const LEADERBOARD_SIZE = 10;

/** One rendered leaderboard row. */
export interface LeaderboardEntry {
  userId: string;
  total: number;
}

/** The leaderboard order: highest total first; ties by userId, larger first (Redis ZREVRANGE's order). */
export function compareLeaderboard(a: LeaderboardEntry, b: LeaderboardEntry): number {
  if (a.total !== b.total) return b.total - a.total;
  return a.userId < b.userId ? 1 : a.userId > b.userId ? -1 : 0;
}

/**
 * The gift catalog: `GIFT_VALUES` like `rose=1,heart=5,rocket=100` → price per gift id. Throws on
 * a malformed entry (the config schema reports it).
 */
export function parseGiftValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^([a-z0-9_-]{1,32})=(\d{1,9})$/.exec(item);
    if (m === null) throw new Error(`"${item}": expected giftId=price (giftId of [a-z0-9_-], price a whole number)`);
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** A gift's value for the leaderboard: count × its price; gifts not in the catalog are worth 1 each. */
export function giftValue(values: ReadonlyMap<string, number>, giftId: string, count: number): number {
  return count * (values.get(giftId) ?? 1);
}
