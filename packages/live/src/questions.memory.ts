import { AppError } from '@roomcast/errors';
import type { InMemoryRoomStateHub } from '@roomcast/room-state';
import { compareQuestions, QUESTIONS_SHOWN, type NewQuestion, type QuestionBoard, type QuestionMarks, type QuestionsValue } from './questions';

type Item = QuestionsValue['items'][number];

/** QuestionBoard in memory (embedded start, unit tests), rendering into an InMemoryRoomStateHub. */
export class InMemoryQuestionBoard implements QuestionBoard {
  /** Per room, per seq: the question, or null once removed (a replayed add skips it). */
  private readonly rooms = new Map<string, Map<number, { item: Item; voters: Set<string> } | null>>();

  constructor(private readonly hub: InMemoryRoomStateHub) {}

  async add(roomId: string, questions: readonly NewQuestion[]): Promise<void> {
    let room = this.rooms.get(roomId);
    if (room === undefined) this.rooms.set(roomId, (room = new Map()));
    let added = 0;
    for (const q of questions) {
      if (room.has(q.seq)) continue;
      room.set(q.seq, { item: { seq: q.seq, userId: q.userId, text: q.text, votes: 0, answered: false, highlighted: false }, voters: new Set() });
      added++;
    }
    if (added > 0) this.render(roomId);
  }

  async upvote(roomId: string, seq: number, userId: string): Promise<{ counted: boolean }> {
    const q = this.find(roomId, seq);
    if (q.voters.has(userId)) return { counted: false };
    q.voters.add(userId);
    q.item.votes++;
    this.render(roomId);
    return { counted: true };
  }

  async mark(roomId: string, seq: number, marks: QuestionMarks): Promise<void> {
    const q = this.find(roomId, seq);
    if (marks.answered !== undefined) q.item.answered = marks.answered;
    if (marks.highlighted !== undefined) q.item.highlighted = marks.highlighted;
    this.render(roomId);
  }

  async remove(roomId: string, seq: number): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (room?.get(seq) == null) return false;
    room.set(seq, null);
    this.render(roomId);
    return true;
  }

  async close(): Promise<void> {}

  private find(roomId: string, seq: number): { item: Item; voters: Set<string> } {
    const q = this.rooms.get(roomId)?.get(seq);
    if (q == null) throw new AppError('NOT_FOUND', `no question ${seq} in ${roomId}`);
    return q;
  }

  private render(roomId: string): void {
    const items = [...(this.rooms.get(roomId)?.values() ?? [])].flatMap((q) => (q === null ? [] : [q.item])).sort(compareQuestions);
    const value: QuestionsValue = { items: items.slice(0, QUESTIONS_SHOWN).map((i) => ({ ...i })) };
    this.hub.put(roomId, 'questions', value);
  }
}
