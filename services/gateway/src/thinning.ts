import { AppError } from '@roomcast/errors';
import { ROOM_ID_PATTERN } from '@roomcast/contracts';

/** One per-room thinning setting: an exact room id, or a prefix ending in `*`. */
export interface RoomThinningRule {
  room: string;
  /** Ordinary chat messages per second a viewer gets in the room; 0 = never thin this room. */
  budgetPerSec: number;
}

/**
 * Which rooms are thinned and at what budget. Off by default (`defaultBudgetPerSec` 0). A room's
 * budget is the first matching rule's (exact ids before prefixes, longer prefixes first), else
 * the default.
 */
export class ThinningPolicy {
  private readonly exact = new Map<string, number>();
  private readonly prefixes: { prefix: string; budgetPerSec: number }[] = [];

  constructor(
    private readonly defaultBudgetPerSec = 0,
    rules: readonly RoomThinningRule[] = [],
  ) {
    for (const r of rules) {
      if (r.room.endsWith('*'))
        this.prefixes.push({ prefix: r.room.slice(0, -1), budgetPerSec: r.budgetPerSec });
      else this.exact.set(r.room, r.budgetPerSec);
    }
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Chat messages per second per viewer in `roomId`; 0 = not thinned. */
  budgetFor(roomId: string): number {
    const exact = this.exact.get(roomId);
    if (exact !== undefined) return exact;
    for (const p of this.prefixes) if (roomId.startsWith(p.prefix)) return p.budgetPerSec;
    return this.defaultBudgetPerSec;
  }

  get enabled(): boolean {
    return this.defaultBudgetPerSec > 0 || this.exact.size > 0 || this.prefixes.length > 0;
  }
}

/**
 * Parses `DELIVERY_THIN_ROOMS`: comma-separated `room=budget` pairs, where room is a room id or
 * a prefix ending in `*` (`live:*=50`) and budget a non-negative number of messages per second.
 * Throws AppError CONFIG_INVALID naming every bad entry.
 */
export function parseThinningRules(text: string): RoomThinningRule[] {
  const rules: RoomThinningRule[] = [];
  const bad: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.lastIndexOf('=');
    const room = eq > 0 ? entry.slice(0, eq).trim() : '';
    const budget = eq > 0 ? Number(entry.slice(eq + 1).trim()) : NaN;
    const roomOk = room.endsWith('*')
      ? room === '*' || ROOM_ID_PATTERN.test(room.slice(0, -1))
      : ROOM_ID_PATTERN.test(room);
    if (!roomOk || !Number.isFinite(budget) || budget < 0 || entry.slice(eq + 1).trim() === '')
      bad.push(entry);
    else rules.push({ room, budgetPerSec: budget });
  }
  if (bad.length > 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `DELIVERY_THIN_ROOMS: expected room=budget or prefix*=budget, got ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
    );
  }
  return rules;
}
