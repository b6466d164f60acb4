import { InMemoryRoomStateHub } from '@roomcast/room-state';
import type { QuestionsValue } from './questions';
import { describeQuestionBoardContract } from './questions.contract';
import { InMemoryQuestionBoard } from './questions.memory';

describeQuestionBoardContract('InMemoryQuestionBoard', async () => {
  const hub = new InMemoryRoomStateHub();
  return {
    board: new InMemoryQuestionBoard(hub),
    rendered: async (roomId) => hub.get(roomId, 'questions') as QuestionsValue | undefined,
    version: async (roomId) => (await hub.reader().versions([roomId]))[0] ?? 0,
    cleanup: async () => {},
  };
});
