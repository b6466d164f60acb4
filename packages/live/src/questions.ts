/** A question as notification adds it: the accepted message's seq, sender, (filtered) text and time. */
export interface NewQuestion {
  seq: number;
  userId: string;
  text: string;
  /** When it was accepted, ms since epoch. */
  at: number;
}

/** How a host or moderator marks a question; absent flags stay as they are. */
export interface QuestionMarks {
  answered?: boolean;
  highlighted?: boolean;
}

/** The room state `questions` as viewers get it (contracts' QuestionsState). */
export interface QuestionsValue {
  items: { seq: number; userId: string; text: string; votes: number; answered: boolean; highlighted: boolean }[];
}

/** Questions shown in the room state `questions`: the top this many by votes, then by seq. */
export const QUESTIONS_SHOWN = 20;
/** How long a room's questions are kept after its last Q&A write, ms (7 days). */
export const DEFAULT_QUESTIONS_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The room's Q&A board (issue #14): every accepted question (messages of kind `question`), its
 * votes (once per user) and its answered/highlighted flags. Every write re-renders the room state
 * `questions` (top QUESTIONS_SHOWN by votes, ties by seq ascending) in the same step.
 */
export interface QuestionBoard {
  /** Adds the room's questions; a seq already on the board is skipped (replayed batches add nothing). */
  add(roomId: string, questions: readonly NewQuestion[]): Promise<void>;
  /** One vote of `userId` for question `seq`; a repeat is `{counted: false}`. NOT_FOUND for an unknown seq. */
  upvote(roomId: string, seq: number, userId: string): Promise<{ counted: boolean }>;
  /** Sets the flags given. NOT_FOUND for an unknown seq. */
  mark(roomId: string, seq: number, marks: QuestionMarks): Promise<void>;
  /**
   * A moderator deleted message `seq`: if it is a question on the board, it leaves the board (and
   * the room state) for good — a replayed `add` does not bring it back, votes and marks of it are
   * NOT_FOUND. Answers whether it was on the board; a seq that was not is left alone.
   */
  remove(roomId: string, seq: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The room-state order: most votes first, then the oldest question. */
export function compareQuestions(a: { votes: number; seq: number }, b: { votes: number; seq: number }): number {
  return b.votes - a.votes || a.seq - b.seq;
}
