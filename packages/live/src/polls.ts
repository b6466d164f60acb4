/** A poll as the host opens it (the pollId is made by the caller). */
export interface NewPoll {
  pollId: string;
  question: string;
  options: string[];
  /** Who opened it: closing announcements are sent in their name. */
  by: string;
  /** A quiz: the correct option (stated only at close) and when answers stop, ms since epoch. */
  quiz?: { correct: number; deadline: number };
}

/** The room state `poll` as viewers get it (contracts' PollState). */
export interface PollValue {
  pollId: string;
  question: string;
  options: string[];
  tallies: number[];
  open: boolean;
  deadline?: number;
  /** A quiz's correct option, once closed. */
  correct?: number;
}

/** A poll that was just closed (by this call): what its closing announcement says. */
export interface ClosedPoll {
  roomId: string;
  /** Who opened it. */
  by: string;
  poll: PollValue;
}

/** How long a room's poll and voters are kept after its last poll write, ms (1 day). */
export const DEFAULT_POLL_TTL_MS = 24 * 3600 * 1000;

/**
 * How long the caller that closed a poll has to publish its closing announcement (and call
 * `announced`) before a tick hands the announcement to another caller, ms.
 */
export const DEFAULT_ANNOUNCE_LEASE_MS = 10_000;

/**
 * The room's poll or quiz (issue #14): one current poll per room, votes once per user, tallies
 * live. Every write re-renders the room state `poll` in the same step. Closing is atomic: of
 * several callers (a host's `poll-close`, every gateway's tick past a quiz's deadline) exactly one
 * gets the ClosedPoll back, so the closing announcement is published once.
 *
 * The closing announcement is owed until `announced` is called: a close leaves it pending with a
 * lease (`now` + the box's announce lease), and `closeDue` hands a pending one whose lease ran out
 * to its caller again (renewing the lease), so a closer that died or failed to publish does not
 * lose it. Re-announcing is safe: its clientMsgId `poll-close:<pollId>` is deduplicated by
 * chat-ingest. Opening the next poll returns a closed one whose announcement is still pending.
 */
export interface PollBox {
  /**
   * Opens `poll` as the room's current poll; an open previous poll is closed and returned, and so
   * is a closed one whose announcement is still pending.
   */
  open(roomId: string, poll: NewPoll, now: number): Promise<ClosedPoll | null>;
  /**
   * One vote of `userId`; a repeated or changed vote is `{counted: false}`. POLL_CLOSED when the
   * poll is closed, past its deadline (`now`), not the room's current poll, or has no such option.
   */
  vote(roomId: string, pollId: string, userId: string, option: number, now: number): Promise<{ counted: boolean }>;
  /** Closes the room's current poll if it is `pollId` and open; null when it was not (already closed, or another). */
  closePoll(roomId: string, pollId: string, now: number): Promise<ClosedPoll | null>;
  /**
   * Closes the quizzes of these rooms whose deadline is at or before `now`, and takes over the
   * pending close announcements whose lease ran out by `now`; returns both (each to one caller).
   */
  closeDue(roomIds: readonly string[], now: number): Promise<ClosedPoll[]>;
  /** The closing announcement of `pollId` was published: nothing is owed any more (no-op for another poll). */
  announced(roomId: string, pollId: string): Promise<void>;
  close(): Promise<void>;
}
