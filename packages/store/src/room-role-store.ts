import type { RoomRole } from '@roomcast/contracts';

/**
 * The room-admin store: roles granted per room (MongoDB collection `room_roles`), beside the
 * `roles` claim a token may carry. A user's role in a room is the higher of the two
 * (docs/moderation.md). `MongoRoomRoleStore` in production, `InMemoryRoomRoleStore` as the twin;
 * both pass `describeRoomRoleStoreContract`.
 */
export interface RoomRoleGrant {
  roomId: string;
  userId: string;
  role: Exclude<RoomRole, 'viewer'>;
  /** Who granted it (a user id, or `admin`). */
  grantedBy: string;
  /** Epoch ms. */
  grantedAt: number;
}

export interface RoomRoleStore {
  /** Creates indexes (idempotent). */
  init(): Promise<void>;
  /** The user's granted role in the room; `viewer` when none. */
  get(roomId: string, userId: string): Promise<RoomRole>;
  /** Grants `role` (replacing any earlier grant); `viewer` removes the grant. Idempotent. */
  set(roomId: string, userId: string, role: RoomRole, grantedBy: string, at: number): Promise<void>;
  /** The room's grants, hosts first, then by userId. */
  list(roomId: string): Promise<RoomRoleGrant[]>;
  healthy(): Promise<boolean>;
}
