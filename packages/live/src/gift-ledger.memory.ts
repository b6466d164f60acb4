import type { InMemoryRoomStateHub } from '@roomcast/room-state';
import {
  compareLeaderboard,
  DEFAULT_GIFT_COMBO_WINDOW_MS,
  LEADERBOARD_SIZE,
  type GiftCombo,
  type GiftEntry,
  type GiftLedger,
  type GiftLedgerOptions,
} from './gift-ledger';

/**
 * The in-memory GiftLedger (embedded start, unit tests): renders into an InMemoryRoomStateHub.
 * Remembers message ids and boards for the process's life (no TTLs); combos end by their window.
 */
export class InMemoryGiftLedger implements GiftLedger {
  private readonly windowMs: number;
  private readonly seen = new Map<string, GiftCombo>();
  /** roomId -> `giftId:userId` -> the open combo (giftId has no ':'). */
  private readonly combos = new Map<string, Map<string, GiftCombo & { at: number }>>();
  private readonly boards = new Map<string, Map<string, number>>();

  constructor(
    private readonly hub: InMemoryRoomStateHub,
    options: GiftLedgerOptions = {},
  ) {
    this.windowMs = options.comboWindowMs ?? DEFAULT_GIFT_COMBO_WINDOW_MS;
  }

  async record(gifts: readonly GiftEntry[]): Promise<GiftCombo[]> {
    const touched = new Set<string>();
    const out = gifts.map((g) => {
      const again = this.seen.get(g.messageId);
      if (again !== undefined) return { ...again };
      let rooms = this.combos.get(g.roomId);
      if (rooms === undefined) this.combos.set(g.roomId, (rooms = new Map()));
      const key = `${g.giftId}:${g.userId}`;
      const open = rooms.get(key);
      let combo: GiftCombo & { at: number };
      if (open !== undefined && g.at - open.at <= this.windowMs)
        combo = { id: open.id, count: open.count + g.count, at: Math.max(open.at, g.at) };
      else combo = { id: g.messageId, count: g.count, at: g.at };
      rooms.set(key, combo);
      const result = { id: combo.id, count: combo.count };
      this.seen.set(g.messageId, result);
      let board = this.boards.get(g.roomId);
      if (board === undefined) this.boards.set(g.roomId, (board = new Map()));
      board.set(g.userId, (board.get(g.userId) ?? 0) + g.value);
      touched.add(g.roomId);
      return { ...result };
    });
    for (const roomId of touched) {
      const top = [...(this.boards.get(roomId) ?? [])]
        .map(([userId, total]) => ({ userId, total }))
        .sort(compareLeaderboard)
        .slice(0, LEADERBOARD_SIZE);
      this.hub.put(roomId, 'leaderboard', { top });
    }
    return out;
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
