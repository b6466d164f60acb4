import type { JoinedFrame, MessageFrame, MessagesFrame, RoomModeFrame, RoomRole } from '@roomcast/contracts';

/** A room's rules for this user (`RoomcastClient.roomMode`). */
export interface RoomMode {
  /** This user's role in the room; `viewer` when none. */
  role: RoomRole;
  /** At most one chat per this many ms (moderators and hosts exempt); 0 = off. */
  slowModeMs: number;
  /** This user's chats are refused (MUTED) until then, ms since epoch; 0 = not muted. */
  mutedUntil: number;
}

/** What a RoomStream reports to its client. */
export interface RoomStreamSink {
  message(frame: MessageFrame): void;
  thinned(info: { roomId: string; count: number; fromSeq: number; toSeq: number }): void;
  /** Seqs that could not be recovered (neither by catch-up nor from history). */
  lost(info: { roomId: string; fromSeq: number; toSeq: number }): void;
  counters: {
    duplicatesDropped: number;
    gaps: number;
    thinned: number;
    recovered: number;
    lost: number;
  };
}

/** Pages a room's history: the accepted messages with seq in fromSeq..toSeq, in seq order. */
export type HistoryPager = (roomId: string, fromSeq: number, toSeq: number) => Promise<MessageFrame[]>;

type SeqFrame = MessageFrame | MessagesFrame;

const first = (f: SeqFrame): number => (f.type === 'message' ? f.seq : f.fromSeq);
const last = (f: SeqFrame): number => (f.type === 'message' ? f.seq : f.toSeq);

/**
 * The messages of one joined room, in seq order, each once. `lastSeq` is the newest seq this
 * client has (emitted, thinned, or given up as lost); a frame that starts past `lastSeq + 1` is a
 * gap. While the room recovers (a rejoin with `afterSeq` after a reconnect, or the fill of a live
 * gap) its frames are buffered; when `joined` arrives the missing older range, if any, is paged
 * from history, then the buffer is played in order, dropping what the client already has.
 */
export class RoomStream {
  joined = false;
  lastSeq = 0;
  /** Set by every `joined` (which states the whole mode), changed field by field by `room-mode`. */
  mode: RoomMode = { role: 'viewer', slowModeMs: 0, mutedUntil: 0 };
  /** Frames held while recovering; null when live. */
  private buffer: SeqFrame[] | null = null;
  /** Counts finishRecovery calls: an older one still paging stops when a newer one started. */
  private recoveries = 0;

  constructor(
    readonly roomId: string,
    private readonly sink: RoomStreamSink,
  ) {}

  /** A `room-mode` frame: only the fields it carries change. */
  applyMode(frame: RoomModeFrame): void {
    if (frame.role !== undefined) this.mode.role = frame.role;
    if (frame.slowModeMs !== undefined) this.mode.slowModeMs = frame.slowModeMs;
    if (frame.mutedUntil !== undefined) this.mode.mutedUntil = frame.mutedUntil;
  }

  get recovering(): boolean {
    return this.buffer !== null;
  }

  /** Frames from now on wait for `finishRecovery` (a rejoin with `afterSeq: lastSeq` is on its way). */
  startRecovery(): void {
    this.buffer ??= [];
  }

  /**
   * A message or batch frame of this room. Returns 'gap' when it starts past lastSeq + 1 while
   * live: the frame is kept and the room starts recovering — the caller asks for the range.
   */
  onFrame(frame: SeqFrame): 'ok' | 'gap' {
    if (this.buffer !== null) {
      this.buffer.push(frame);
      return 'ok';
    }
    if (this.joined && first(frame) > this.lastSeq + 1) {
      this.sink.counters.gaps++;
      this.buffer = [frame];
      return 'gap';
    }
    this.play(frame, 0);
    return 'ok';
  }

  /**
   * The `joined` answering the recovery: pages `missing` from history (or gives it up as lost),
   * then plays the buffered frames. Messages up to `joined.lastSeq` count as recovered.
   *
   * History can lag the gateway (persistence stores after the room's topic delivered, and may be
   * restarting), so a page that stops short of `missing.toSeq`, or a failed request, is tried
   * again after each of `retryDelaysMs`; only what the last attempt still lacks is given up.
   * Each attempt keeps the in-order prefix it got and asks for the rest; live frames stay
   * buffered meanwhile.
   */
  async finishRecovery(
    joined: JoinedFrame,
    history: HistoryPager | undefined,
    retryDelaysMs: readonly number[] = [],
  ): Promise<void> {
    this.joined = true;
    // A later `joined` (another reconnect while this one pages) takes over the recovery.
    const recovery = ++this.recoveries;
    const missing = joined.missing;
    if (missing !== undefined && missing.toSeq > this.lastSeq) {
      const from = Math.max(missing.fromSeq, this.lastSeq + 1);
      if (history !== undefined) {
        for (let attempt = 0; ; attempt++) {
          const final = attempt >= retryDelaysMs.length;
          let got: MessageFrame[] = [];
          try {
            got = await history(this.roomId, Math.max(from, this.lastSeq + 1), missing.toSeq);
          } catch {
            // Unreachable history: tried again, or the range is reported lost below.
            got = [];
          }
          if (recovery !== this.recoveries) return;
          this.playHistory(got, from, missing.toSeq, final);
          if (final || this.lastSeq >= missing.toSeq) break;
          await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[attempt]));
          if (recovery !== this.recoveries) return;
        }
      }
      if (this.lastSeq < missing.toSeq) this.giveUp(this.lastSeq + 1, missing.toSeq);
    }
    this.playBuffer(joined.lastSeq);
  }

  /**
   * Emits a history page's messages in fromSeq..toSeq past lastSeq. Before the last attempt it
   * stops at the first hole (a later attempt may fill it); on the last, holes are given up.
   */
  private playHistory(got: readonly MessageFrame[], fromSeq: number, toSeq: number, final: boolean): void {
    for (const m of got) {
      if (m.seq < fromSeq || m.seq > toSeq || m.seq <= this.lastSeq) continue;
      if (m.seq > this.lastSeq + 1) {
        if (!final) return;
        this.giveUp(this.lastSeq + 1, m.seq - 1);
      }
      this.lastSeq = m.seq;
      this.sink.counters.recovered++;
      this.sink.message(m);
    }
  }

  /** The recovery failed for good (the rejoin was refused): play what was buffered, gaps and all. */
  abandonRecovery(): void {
    this.playBuffer(0);
  }

  /**
   * Plays the buffered frames in seq order and goes live. They arrive out of order: live frames
   * past the gap that were on the wire before the gateway got the rejoin, then its catch-up from
   * lastSeq + 1. A gap still left between them is given up as lost (after a completed catch-up
   * there is none). Seqs up to `recoveredThrough` count as recovered.
   */
  private playBuffer(recoveredThrough: number): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    // Array.prototype.sort is stable: a range seen twice keeps its arrival order.
    buffered.sort((a, b) => first(a) - first(b));
    for (const f of buffered) {
      if (first(f) > this.lastSeq + 1 && last(f) > this.lastSeq) this.giveUp(this.lastSeq + 1, first(f) - 1);
      this.play(f, recoveredThrough);
    }
  }

  private giveUp(fromSeq: number, toSeq: number): void {
    this.sink.counters.lost += toSeq - fromSeq + 1;
    this.lastSeq = toSeq;
    this.sink.lost({ roomId: this.roomId, fromSeq, toSeq });
  }

  /** Emits the frame's messages above lastSeq; seqs up to `recoveredThrough` count as recovered. */
  private play(frame: SeqFrame, recoveredThrough: number): void {
    if (frame.type === 'message') {
      if (frame.seq <= this.lastSeq) {
        this.sink.counters.duplicatesDropped++;
        return;
      }
      this.lastSeq = frame.seq;
      if (frame.seq <= recoveredThrough) this.sink.counters.recovered++;
      this.sink.message(frame);
      return;
    }
    // Only thinned seqs above lastSeq count: a frame seen again (or overlapping) adds none twice.
    let thinned = frame.thinned;
    if (this.lastSeq >= frame.fromSeq) {
      const start = this.lastSeq + 1;
      let fresh = 0;
      for (const m of frame.messages) if (m.seq >= start) fresh++;
      thinned = Math.max(0, frame.toSeq - start + 1 - fresh);
    }
    if (thinned > 0) {
      this.sink.counters.thinned += thinned;
      this.sink.thinned({ roomId: this.roomId, count: thinned, fromSeq: frame.fromSeq, toSeq: frame.toSeq });
    }
    for (const m of frame.messages) {
      if (m.seq <= this.lastSeq) {
        this.sink.counters.duplicatesDropped++;
        continue;
      }
      this.lastSeq = m.seq;
      if (m.seq <= recoveredThrough) this.sink.counters.recovered++;
      this.sink.message({ type: 'message', roomId: frame.roomId, ...m });
    }
    if (frame.toSeq > this.lastSeq) this.lastSeq = frame.toSeq;
  }
}
