import { z } from 'zod';
import { RoomId } from './ws';

/**
 * filter -> every filter instance: the managed dictionary of one scope changed. Carries no words:
 * instances reload the scope from the store (the store is the truth, the event is a nudge).
 * Key: the roomId, or `global` for the global scope (the key only spreads load; `roomId` says
 * which scope it is, so a room named "global" is not confused with it).
 */
export const FilterDictionaryChangedV1 = z.object({
  /** null = the global scope. */
  roomId: RoomId.nullable(),
  /** The scope's version after the change; an instance already at or past it ignores the event. */
  version: z.number().int().nonnegative(),
  op: z.enum(['entry.put', 'entry.remove', 'allow.add', 'allow.remove']),
  /** The instance whose admin API made the change. */
  instanceId: z.string().min(1),
  changedAt: z.number().int(),
});
export type FilterDictionaryChangedV1 = z.infer<typeof FilterDictionaryChangedV1>;

/** The record key of a dictionary change of the global scope. */
export const FILTER_DICTIONARY_GLOBAL_KEY = 'global';

/**
 * The filter's own topics. Not in TOPICS (whose specs are keyed by room): consumed by every
 * filter instance through a consumer group of its own, so each one sees every change.
 */
export const FILTER_TOPICS = {
  dictionaryChanged: {
    name: 'filter.dictionary.changed.v1',
    key: 'roomId | "global"',
    schema: FilterDictionaryChangedV1,
    producer: 'filter',
    consumers: ['filter (every instance)'],
  },
} as const;

/** The filter's topic names with a deployment's `KAFKA_TOPIC_PREFIX` applied. */
export function resolveFilterTopics(prefix = ''): { dictionaryChanged: string } {
  return { dictionaryChanged: prefix + FILTER_TOPICS.dictionaryChanged.name };
}
