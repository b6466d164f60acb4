export {
  HOST_ACTION_ROLE,
  LiveActions,
  type LiveActor,
  type LiveFeatures,
  type LiveResult,
} from './live-actions';
