import { roleAtLeast, type ActorRole, type ModerationEventV1, type RoomRole } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';

type Kind = ModerationEventV1['action']['kind'];

/** The lowest role that may perform each action (admin may do all). */
export const REQUIRED_ROLE: Record<Kind, Exclude<RoomRole, 'viewer'>> = {
  mute: 'moderator',
  unmute: 'moderator',
  ban: 'moderator',
  unban: 'moderator',
  delete: 'moderator',
  'slow-mode': 'moderator',
  'set-role': 'host',
  'room-words': 'host',
};

/**
 * Whether `actor` may perform an action of `kind` on a user whose role in the room is `target`
 * (for user-targeted actions). The rules (docs/moderation.md):
 * - viewers may do nothing; moderators mute, ban, delete and set slow mode; hosts also grant
 *   roles and edit the room's blocked words; the platform admin may do everything;
 * - nobody but the admin acts on a user of their own role or higher (a moderator cannot mute
 *   another moderator or a host; a host cannot ban another host);
 * - a host grants `moderator` or `viewer` only; `host` is granted by the admin (or a token).
 * Returns the refusal (FORBIDDEN), or undefined when allowed.
 */
export function authorize(
  actor: ActorRole | 'viewer',
  kind: Kind,
  target?: { role: RoomRole; granting?: RoomRole },
): AppError | undefined {
  if (actor === 'admin') return undefined;
  const need = REQUIRED_ROLE[kind];
  if (!roleAtLeast(actor, need))
    return new AppError('FORBIDDEN', `${kind} needs the ${need} role in this room (you are ${actor})`);
  if (target !== undefined && roleAtLeast(target.role, actor))
    return new AppError('FORBIDDEN', `a ${actor} cannot ${kind} a ${target.role} of the room`);
  if (target?.granting === 'host')
    return new AppError('FORBIDDEN', 'only the platform admin grants the host role');
  return undefined;
}
