import type { LiveFeatures } from './live-actions';
import type { QuestionBoard } from './questions';

/**
 * Q&A behind the gateway's frames: `vote {target: question}` upvotes (once per user: a repeat is
 * `done {result: {counted: false}}`), `host {action: question}` marks a question answered or
 * highlighted (moderator and up — checked by LiveActions before this runs). Questions themselves
 * are added by notification as they are accepted (kind `question`).
 */
export function questionFeatures(board: QuestionBoard): LiveFeatures {
  return {
    upvoteQuestion: (roomId, userId, seq) => board.upvote(roomId, seq, userId),
    host: {
      question: async (roomId, _actor, action) => {
        await board.mark(roomId, action.seq, {
          ...(action.answered !== undefined ? { answered: action.answered } : {}),
          ...(action.highlighted !== undefined ? { highlighted: action.highlighted } : {}),
        });
        return { seq: action.seq };
      },
    },
  };
}
