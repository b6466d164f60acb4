import {
  claimedRole,
  higherRole,
  type ActorRole,
  type ModerationAction,
  type ModerationEventV1,
  type RolesClaim,
  type RoomRole,
  type TopicNames,
} from '@roomcast/contracts';
import type { MessageBus } from '@roomcast/bus';
import { AppError } from '@roomcast/errors';
import { newMessageId, publishEvent } from '@roomcast/service-kit';
import type { RoomRoleStore } from '@roomcast/store';
import { authorize } from './authorize';
import type { ModerationStore } from './moderation-store';

export interface RoomModerationDeps {
  store: ModerationStore;
  roles: RoomRoleStore;
  bus: MessageBus;
  topics: TopicNames;
  clock?: () => number;
}

/** Who acts: a user (with the roles claim of their token) or the platform admin. */
export type Actor = { userId: string; roles?: RolesClaim | undefined } | { admin: true };

/**
 * Performs moderation actions — for the gateway's `moderate` frames and the moderation HTTP API:
 * authorise by role, record the new state (Redis, or the room-admin store for `set-role`), then
 * publish the action on `room.moderation.applied.v1` for every gateway, chat-ingest, notification
 * and persistence (audit) instance. State before event: whoever reads the room after the event
 * sees the change. A failure after the state was written but before the publish leaves the state
 * in force and the caller gets the error: retrying publishes the event (state writes are idempotent).
 */
export class RoomModeration {
  private readonly clock: () => number;

  constructor(private readonly deps: RoomModerationDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * A user's role in a room: the higher of their token's `roles` claim and the room-admin store.
   * When the store cannot answer, the claim alone (logged by the caller).
   */
  async roleOf(roomId: string, userId: string, claim: RolesClaim | undefined): Promise<RoomRole> {
    const fromClaim = claimedRole(claim, roomId);
    if (fromClaim === 'host') return fromClaim;
    return higherRole(fromClaim, await this.deps.roles.get(roomId, userId));
  }

  /**
   * Authorises and performs `action` in `roomId`. `actorRole` may be given when the caller knows
   * it already (the gateway resolved it at join); otherwise it is resolved here. Throws FORBIDDEN
   * when the role does not allow it.
   */
  async perform(
    roomId: string,
    actor: Actor,
    action: ModerationAction,
    actorRole?: RoomRole,
  ): Promise<ModerationEventV1> {
    const role: ActorRole | 'viewer' =
      'admin' in actor ? 'admin' : (actorRole ?? (await this.roleOf(roomId, actor.userId, actor.roles)));
    const actorId = 'admin' in actor ? 'admin' : actor.userId;
    const targetUser = 'userId' in action ? action.userId : undefined;
    if (targetUser !== undefined && targetUser === actorId)
      throw new AppError('FORBIDDEN', `you cannot ${action.kind} yourself`);
    const refusedEarly = authorize(role, action.kind);
    if (refusedEarly) throw refusedEarly;
    if (targetUser !== undefined && role !== 'admin') {
      // The target's granted role (a role only in the target's own token is not visible here: grant
      // hosts and moderators in the room-admin store to protect them; docs/moderation.md).
      const target = {
        role: await this.deps.roles.get(roomId, targetUser),
        ...(action.kind === 'set-role' ? { granting: action.role } : {}),
      };
      const refused = authorize(role, action.kind, target);
      if (refused) throw refused;
    }
    const at = this.clock();
    const until =
      action.kind === 'mute'
        ? at + action.durationMs
        : action.kind === 'ban' && action.durationMs !== undefined
          ? at + action.durationMs
          : undefined;
    if (action.kind === 'set-role')
      await this.deps.roles.set(roomId, action.userId, action.role, actorId, at);
    else await this.deps.store.apply(roomId, action, until);
    const event: ModerationEventV1 = {
      id: newMessageId(),
      roomId,
      actorId,
      actorRole: role as ActorRole,
      at,
      ...(until !== undefined ? { until } : {}),
      action,
    };
    await publishEvent(this.deps.bus, this.deps.topics, 'moderation', event);
    return event;
  }
}
