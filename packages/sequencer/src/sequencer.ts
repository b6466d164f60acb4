/**
 * Per-room sequence numbers for accepted messages, and submission dedup.
 * Both must be shared by every instance and survive restarts, so the production twin is Redis.
 */
export interface RoomSequencer {
  /**
   * The seq for message `messageId` in `roomId`: the next number (1, 2, ...) the first time,
   * the SAME number when called again with the same id (replay after a crash), so a replayed
   * record neither skips nor repeats a number. Items are assigned in array order.
   */
  assign(items: { roomId: string; messageId: string }[]): Promise<number[]>;
  /** The highest seq assigned in a room (0 if none). */
  current(roomId: string): Promise<number>;
}

export type ClaimResult =
  /** First time this (userId, clientMsgId) was seen: use `id`. */
  | { status: 'new'; id: string }
  /** The same source record seen again (consumer replay): process it again with the same `id`. */
  | { status: 'replay'; id: string }
  /** A different record with the same (userId, clientMsgId): drop it. */
  | { status: 'duplicate'; id: string };

export interface SubmissionDeduper {
  /**
   * Claims (userId, clientMsgId) for `candidateId`. `source` identifies the record that carries
   * it (e.g. `topic/partition/offset`) so a replay of the same record is told apart from a resend.
   * Entries expire after `ttlMs`.
   */
  claim(items: { userId: string; clientMsgId: string; candidateId: string; source: string }[], ttlMs: number): Promise<ClaimResult[]>;
}

export interface SequencerBackend {
  sequencer: RoomSequencer;
  deduper: SubmissionDeduper;
  close(): Promise<void>;
}
