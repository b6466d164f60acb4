import { roleAtLeast, type HostAction, type RoomRole, type VoteTarget } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';

/** Who acts: the user and their role in the room (resolved by the gateway at join). */
export interface LiveActor {
  userId: string;
  role: RoomRole;
}

/** What a `vote`, `buy` or `host` frame returns in `done.result`. */
export type LiveResult = Record<string, unknown>;

/**
 * The live-room features behind the gateway's `vote`, `buy` and `host` frames (issue #14), one
 * handler per feature, each with its own store (Redis in production, a twin in the embedded start):
 * Q&A, polls, the pinned message and products. Handlers that change what viewers see write the
 * room's rendered state (packages/room-state) in the same Lua script; sequenced announcements
 * (poll opened/closed, pinned, product card, sold out) are published on chat.message.submitted.v1
 * like chat, with a stable clientMsgId so a retry yields one message.
 */
export interface LiveFeatures {
  /** `vote {target: question}` — once per user per question. */
  upvoteQuestion?(roomId: string, userId: string, seq: number): Promise<LiveResult>;
  /** `vote {target: poll}` — once per user per poll; POLL_CLOSED when not open. */
  votePoll?(roomId: string, userId: string, pollId: string, option: number): Promise<LiveResult>;
  /** `buy` — SOLD_OUT when fewer units are left than asked. */
  buy?(roomId: string, userId: string, productId: string, quantity: number): Promise<LiveResult>;
  /** `host` actions, by kind. */
  host?: Partial<{
    [K in HostAction['kind']]: (
      roomId: string,
      actor: LiveActor,
      action: Extract<HostAction, { kind: K }>,
    ) => Promise<LiveResult>;
  }>;
  /** Called every room-state tick with the rooms this gateway has viewers in (e.g. closing polls past their deadline). */
  tick?(roomIds: string[]): Promise<void>;
}

/** The lowest role each host action needs. */
export const HOST_ACTION_ROLE: Record<HostAction['kind'], Exclude<RoomRole, 'viewer'>> = {
  'poll-open': 'host',
  'poll-close': 'host',
  pin: 'host',
  unpin: 'host',
  product: 'host',
  stock: 'host',
  question: 'moderator',
};

/** Dispatches the gateway's live frames to the features; refuses what the role or the deployment does not allow. */
export class LiveActions {
  constructor(private readonly features: LiveFeatures[]) {}

  async vote(roomId: string, actor: LiveActor, target: VoteTarget): Promise<LiveResult> {
    if (target.kind === 'question') {
      const f = this.features.find((x) => x.upvoteQuestion);
      if (f?.upvoteQuestion === undefined) throw unavailable('questions');
      return f.upvoteQuestion(roomId, actor.userId, target.seq);
    }
    const f = this.features.find((x) => x.votePoll);
    if (f?.votePoll === undefined) throw unavailable('polls');
    return f.votePoll(roomId, actor.userId, target.pollId, target.option);
  }

  async buy(roomId: string, actor: LiveActor, productId: string, quantity: number): Promise<LiveResult> {
    const f = this.features.find((x) => x.buy);
    if (f?.buy === undefined) throw unavailable('products');
    return f.buy(roomId, actor.userId, productId, quantity);
  }

  async host(roomId: string, actor: LiveActor, action: HostAction): Promise<LiveResult> {
    const need = HOST_ACTION_ROLE[action.kind];
    if (!roleAtLeast(actor.role, need))
      throw new AppError(
        'FORBIDDEN',
        `${action.kind} needs the ${need} role in this room (you are ${actor.role})`,
      );
    for (const f of this.features) {
      const handler = f.host?.[action.kind] as
        | ((r: string, a: LiveActor, x: HostAction) => Promise<LiveResult>)
        | undefined;
      if (handler !== undefined) return handler(roomId, actor, action);
    }
    throw unavailable(action.kind);
  }

  async tick(roomIds: string[]): Promise<void> {
    await Promise.all(this.features.map((f) => f.tick?.(roomIds)));
  }
}

function unavailable(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} are not enabled on this deployment`);
}
