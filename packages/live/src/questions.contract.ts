import { AppError } from '@roomcast/errors';
import type { QuestionBoard, QuestionsValue } from './questions';

export interface QuestionBoardFixture {
  board: QuestionBoard;
  /** The room state `questions` as the gateways read it (parsed), or undefined when never written. */
  rendered(roomId: string): Promise<QuestionsValue | undefined>;
  /** The room's room-state version. */
  version(roomId: string): Promise<number>;
  /** Closes the board and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

const q = (seq: number, userId = `u${seq}`) => ({ seq, userId, text: `question ${seq}?`, at: 1_700_000_000_000 + seq });

/** The one suite every QuestionBoard twin must pass; `factory` gives a fresh, empty board per test. */
export function describeQuestionBoardContract(name: string, factory: () => Promise<QuestionBoardFixture>): void {
  describe(`QuestionBoard contract: ${name}`, () => {
    let fixture: QuestionBoardFixture;
    let board: QuestionBoard;

    beforeEach(async () => {
      fixture = await factory();
      board = fixture.board;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('adds questions once by seq and renders them unanswered, unvoted, by seq', async () => {
      expect(await fixture.rendered('r1')).toBeUndefined();
      await board.add('r1', [q(7), q(3)]);
      const v1 = await fixture.version('r1');
      expect(await fixture.rendered('r1')).toEqual({
        items: [
          { seq: 3, userId: 'u3', text: 'question 3?', votes: 0, answered: false, highlighted: false },
          { seq: 7, userId: 'u7', text: 'question 7?', votes: 0, answered: false, highlighted: false },
        ],
      });
      // a replayed batch adds nothing and writes nothing
      await board.add('r1', [q(7), q(3)]);
      expect(await fixture.version('r1')).toBe(v1);
      await board.add('r1', [q(3), q(9)]);
      expect((await fixture.rendered('r1'))?.items.map((i) => i.seq)).toEqual([3, 7, 9]);
      expect(await fixture.version('r1')).toBe(v1 + 1);
    });

    it('counts one upvote per user, orders by votes then seq, and refuses an unknown seq', async () => {
      await board.add('r1', [q(1), q(2), q(3)]);
      expect(await board.upvote('r1', 3, 'ann')).toEqual({ counted: true });
      expect(await board.upvote('r1', 3, 'bob')).toEqual({ counted: true });
      expect(await board.upvote('r1', 3, 'ann')).toEqual({ counted: false });
      expect(await board.upvote('r1', 2, 'ann')).toEqual({ counted: true });
      const items = (await fixture.rendered('r1'))?.items ?? [];
      expect(items.map((i) => [i.seq, i.votes])).toEqual([[3, 2], [2, 1], [1, 0]]);
      const before = await fixture.version('r1');
      expect(await board.upvote('r1', 3, 'bob')).toEqual({ counted: false });
      expect(await fixture.version('r1')).toBe(before);
      const err: unknown = await board.upvote('r1', 99, 'ann').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('NOT_FOUND');
      // a vote is per room
      await expect(board.upvote('r2', 3, 'ann')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('marks answered and highlighted, leaving the flag not given as it is', async () => {
      await board.add('r1', [q(1), q(2)]);
      await board.mark('r1', 2, { highlighted: true });
      await board.mark('r1', 2, { answered: true });
      await board.mark('r1', 1, { answered: true });
      await board.mark('r1', 1, { answered: false });
      const items = (await fixture.rendered('r1'))?.items ?? [];
      expect(items.map((i) => [i.seq, i.answered, i.highlighted])).toEqual([[1, false, false], [2, true, true]]);
      await expect(board.mark('r1', 5, { answered: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('removes a deleted question for good: off the rendered board, not re-added by a replay, no votes or marks', async () => {
      await board.add('r1', [q(1), q(2), q(3)]);
      await board.upvote('r1', 2, 'ann');
      await board.mark('r1', 2, { highlighted: true });
      const before = await fixture.version('r1');
      await expect(board.remove('r1', 2)).resolves.toBe(true);
      expect(await fixture.version('r1')).toBeGreaterThan(before);
      expect((await fixture.rendered('r1'))?.items.map((i) => i.seq)).toEqual([1, 3]);
      // the chat batch that added it, replayed
      await board.add('r1', [q(2)]);
      expect((await fixture.rendered('r1'))?.items.map((i) => i.seq)).toEqual([1, 3]);
      await expect(board.upvote('r1', 2, 'bob')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(board.mark('r1', 2, { answered: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // removed already, never a question, another room: nothing happens
      const after = await fixture.version('r1');
      await expect(board.remove('r1', 2)).resolves.toBe(false);
      await expect(board.remove('r1', 9)).resolves.toBe(false);
      await expect(board.remove('r2', 1)).resolves.toBe(false);
      expect(await fixture.version('r1')).toBe(after);
      expect(await fixture.rendered('r2')).toBeUndefined();
    });

    it('renders the top 20 only, keeps long seqs and any text exact, and keeps rooms apart', async () => {
      const many = Array.from({ length: 25 }, (_, i) => q(i + 1));
      await board.add('r1', many);
      await board.upvote('r1', 25, 'ann');
      const items = (await fixture.rendered('r1'))?.items ?? [];
      expect(items).toHaveLength(20);
      expect(items.map((i) => i.seq)).toEqual([25, ...Array.from({ length: 19 }, (_, i) => i + 1)]);
      const seq = 9_007_199_254_740_000;
      await board.add('r2', [{ seq, userId: 'u:1', text: 'ünïcode "quoted" \\ / 🎉', at: 1 }]);
      expect(await fixture.rendered('r2')).toEqual({
        items: [{ seq, userId: 'u:1', text: 'ünïcode "quoted" \\ / 🎉', votes: 0, answered: false, highlighted: false }],
      });
      expect(await board.upvote('r2', seq, 'ann')).toEqual({ counted: true });
      expect((await fixture.rendered('r1'))?.items).toHaveLength(20);
    });
  });
}
