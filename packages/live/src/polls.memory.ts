import { AppError } from '@roomcast/errors';
import type { InMemoryRoomStateHub } from '@roomcast/room-state';
import type { ClosedPoll, NewPoll, PollBox, PollValue } from './polls';

interface Current {
  poll: NewPoll;
  tallies: number[];
  open: boolean;
  voters: Set<string>;
}

/** PollBox in memory (embedded start, unit tests), rendering into an InMemoryRoomStateHub. */
export class InMemoryPollBox implements PollBox {
  private readonly rooms = new Map<string, Current>();

  constructor(private readonly hub: InMemoryRoomStateHub) {}

  async open(roomId: string, poll: NewPoll): Promise<ClosedPoll | null> {
    const previous = this.rooms.get(roomId);
    const closed = previous?.open === true ? this.shut(roomId, previous) : null;
    this.rooms.set(roomId, { poll, tallies: poll.options.map(() => 0), open: true, voters: new Set() });
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

  async closePoll(roomId: string, pollId: string): Promise<ClosedPoll | null> {
    const c = this.rooms.get(roomId);
    if (c === undefined || !c.open || c.poll.pollId !== pollId) return null;
    const closed = this.shut(roomId, c);
    this.render(roomId);
    return closed;
  }

  async closeDue(roomIds: readonly string[], now: number): Promise<ClosedPoll[]> {
    const out: ClosedPoll[] = [];
    for (const roomId of roomIds) {
      const c = this.rooms.get(roomId);
      const deadline = c?.poll.quiz?.deadline;
      if (c === undefined || !c.open || deadline === undefined || deadline > now) continue;
      out.push(this.shut(roomId, c));
      this.render(roomId);
    }
    return out;
  }

  async close(): Promise<void> {}

  private shut(roomId: string, c: Current): ClosedPoll {
    c.open = false;
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
