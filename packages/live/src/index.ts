export {
  HOST_ACTION_ROLE,
  LiveActions,
  type LiveActor,
  type LiveFeatures,
  type LiveResult,
} from './live-actions';
export {
  formatPrice,
  ShowcaseFeature,
  UNPIN_TEXT,
  type BuyOutcome,
  type PinnedValue,
  type ProductCard,
  type ProductValue,
  type ShowcaseFeatureOptions,
  type ShowcaseStore,
} from './showcase';
export { InMemoryShowcaseStore } from './showcase.memory';
export { RedisShowcaseStore } from './showcase.redis';
