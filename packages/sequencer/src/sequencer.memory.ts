import type { ClaimResult, RoomSequencer, SequencerBackend, SubmissionDeduper } from './sequencer';

/** How long messageId -> seq is remembered for replays: 24 h (same default as the Redis twin). */
export const DEFAULT_MEMORY_ASSIGNMENT_TTL_MS = 24 * 60 * 60 * 1000;

const SWEEP_EVERY_WRITES = 4096;

/**
 * The data the in-memory twin keeps. Pass one instance to several InMemorySequencerBackends to
 * model several service instances sharing one Redis (or a restart that keeps Redis).
 */
export class InMemorySequencerState {
  /** roomId -> last seq */
  readonly seqs = new Map<string, number>();
  /** messageId -> { seq, expiresAt } */
  readonly assignments = new Map<string, { seq: number; expiresAt: number }>();
  /** userId -> clientMsgId -> claim; nested maps, so ids containing any character cannot collide */
  readonly claims = new Map<string, Map<string, { id: string; source: string; expiresAt: number }>>();
  private writes = 0;

  /** Drops expired entries every SWEEP_EVERY_WRITES writes, so a long-running embedded process stays bounded. */
  noteWrite(now: number): void {
    if (++this.writes % SWEEP_EVERY_WRITES !== 0) return;
    for (const [messageId, a] of this.assignments) if (a.expiresAt <= now) this.assignments.delete(messageId);
    for (const [userId, perUser] of this.claims) {
      for (const [clientMsgId, c] of perUser) if (c.expiresAt <= now) perUser.delete(clientMsgId);
      if (perUser.size === 0) this.claims.delete(userId);
    }
  }
}

export interface InMemorySequencerBackendOptions {
  /** Shared state; default a fresh one. */
  state?: InMemorySequencerState;
  /** How long a messageId keeps its seq (ms). Default 24 h. */
  assignmentTtlMs?: number;
  /** Clock in ms; default `Date.now`. Entries are live while `expiresAt > now()`. */
  now?: () => number;
}

/** The in-process twin of RedisSequencerBackend with the same semantics. */
export class InMemorySequencerBackend implements SequencerBackend, RoomSequencer, SubmissionDeduper {
  readonly sequencer: RoomSequencer = this;
  readonly deduper: SubmissionDeduper = this;
  private readonly state: InMemorySequencerState;
  private readonly assignmentTtlMs: number;
  private readonly now: () => number;

  constructor(options: InMemorySequencerBackendOptions = {}) {
    this.state = options.state ?? new InMemorySequencerState();
    this.assignmentTtlMs = options.assignmentTtlMs ?? DEFAULT_MEMORY_ASSIGNMENT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async assign(items: { roomId: string; messageId: string }[]): Promise<number[]> {
    const now = this.now();
    const { seqs, assignments } = this.state;
    return items.map(({ roomId, messageId }) => {
      const known = assignments.get(messageId);
      if (known && known.expiresAt > now) return known.seq;
      const seq = (seqs.get(roomId) ?? 0) + 1;
      seqs.set(roomId, seq);
      assignments.set(messageId, { seq, expiresAt: now + this.assignmentTtlMs });
      this.state.noteWrite(now);
      return seq;
    });
  }

  async current(roomId: string): Promise<number> {
    return this.state.seqs.get(roomId) ?? 0;
  }

  async claim(
    items: { userId: string; clientMsgId: string; candidateId: string; source: string }[],
    ttlMs: number,
  ): Promise<ClaimResult[]> {
    const now = this.now();
    return items.map(({ userId, clientMsgId, candidateId, source }): ClaimResult => {
      let perUser = this.state.claims.get(userId);
      if (!perUser) this.state.claims.set(userId, (perUser = new Map()));
      const stored = perUser.get(clientMsgId);
      if (stored && stored.expiresAt > now) {
        return { status: stored.source === source ? 'replay' : 'duplicate', id: stored.id };
      }
      perUser.set(clientMsgId, { id: candidateId, source, expiresAt: now + ttlMs });
      this.state.noteWrite(now);
      return { status: 'new', id: candidateId };
    });
  }

  async close(): Promise<void> {
    // Nothing to release: the state belongs to whoever created it and may outlive this backend.
  }
}
