import { describeRoomRoleStoreContract } from './room-role-store.contract';
import { InMemoryRoomRoleStore } from './room-role-store.memory';

describeRoomRoleStoreContract('InMemoryRoomRoleStore', async () => ({
  store: new InMemoryRoomRoleStore(),
  cleanup: async () => {},
}));
