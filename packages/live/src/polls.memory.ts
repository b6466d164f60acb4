import { AppError } from '@roomcast/errors';
import type { InMemoryRoomStateHub } from '@roomcast/room-state';
import { DEFAULT_ANNOUNCE_LEASE_MS, type ClosedPoll, type NewPoll, type PollBox, type PollValue } from './polls';

interface Current {
  poll: NewPoll;
  tallies: number[];
  open: boolean;
  voters: Set<string>;
  /** Closed, announcement owed: the lease of whoever is publishing it ends here (ms). */
  announceUntil: number | undefined;
}

/** PollBox in memory (embedded start, unit tests), rendering into an InMemoryRoomStateHub. */
export class InMemoryPollBox implements PollBox {
  private readonly rooms = new Map<string, Current>();

  constructor(
    private readonly hub: InMemoryRoomStateHub,
    private readonly announceLeaseMs = DEFAULT_ANNOUNCE_LEASE_MS,
  ) {}

  async open(roomId: string, poll: NewPoll, now: number): Promise<ClosedPoll | null> {
    const previous = this.rooms.get(roomId);
    const closed =
      previous?.open === true
        ? this.shut(roomId, previous, now)
        : previous?.announceUntil !== undefined
          ? { roomId, by: previous.poll.by, poll: valueOf(previous) }
          : null;
    this.rooms.set(roomId, { poll, tallies: poll.options.map(() => 0), open: true, voters: new Set(), announceUntil: undefined });
    this.render(roomId);
    return closed;
  }

  async vote(roomId: string, pollId: string, userId: string, option: number, now: number): Promise<{ counted: boolean }> {
    const c = this.rooms.get(roomId);
    const deadline = c?.poll.quiz?.deadline;
    if (c === undefined || !c.open || c.poll.pollId !== pollId || (deadline !== undefined && now >= deadline) || option >= c.tallies.length)
      throw new AppError('POLL_CLOSED', `poll ${pollId} in ${roomId} takes no vote for option ${option}`);
    if (c.voters.has(userId)) return { counted: false };
    c.voters.add(userId);
    c.tallies[option] = (c.tallies[option] ?? 0) + 1;
    this.render(roomId);
    return { counted: true };
  }

  async closePoll(roomId: string, pollId: string, now: number): Promise<ClosedPoll | null> {
    const c = this.rooms.get(roomId);
    if (c === undefined || !c.open || c.poll.pollId !== pollId) return null;
    const closed = this.shut(roomId, c, now);
    this.render(roomId);
    return closed;
  }

  async closeDue(roomIds: readonly string[], now: number): Promise<ClosedPoll[]> {
    const out: ClosedPoll[] = [];
    for (const roomId of roomIds) {
      const c = this.rooms.get(roomId);
      if (c === undefined) continue;
      const deadline = c.poll.quiz?.deadline;
      if (c.open && deadline !== undefined && deadline <= now) {
        out.push(this.shut(roomId, c, now));
        this.render(roomId);
      } else if (!c.open && c.announceUntil !== undefined && c.announceUntil <= now) {
        c.announceUntil = now + this.announceLeaseMs;
        out.push({ roomId, by: c.poll.by, poll: valueOf(c) });
      }
    }
    return out;
  }

  async announced(roomId: string, pollId: string): Promise<void> {
    const c = this.rooms.get(roomId);
    if (c?.poll.pollId === pollId) c.announceUntil = undefined;
  }

  async close(): Promise<void> {}

  private shut(roomId: string, c: Current, now: number): ClosedPoll {
    c.open = false;
    c.announceUntil = now + this.announceLeaseMs;
    return { roomId, by: c.poll.by, poll: valueOf(c) };
  }

  private render(roomId: string): void {
    const c = this.rooms.get(roomId);
    this.hub.put(roomId, 'poll', c === undefined ? null : valueOf(c));
  }
}

function valueOf(c: Current): PollValue {
  const { pollId, question, options, quiz } = c.poll;
  return {
    pollId,
    question,
    options: [...options],
    tallies: [...c.tallies],
    open: c.open,
    ...(quiz !== undefined ? { deadline: quiz.deadline } : {}),
    ...(quiz !== undefined && !c.open ? { correct: quiz.correct } : {}),
  };
}
