export { createWordFilter, DEFAULT_MAX_TEXT_LENGTH } from './word-filter';
export { FilterCompiler, type FilterCompilerOptions } from './compiler';
export { maskSpans, type TextSpan } from './mask';
export {
  parseDictionary,
  type DictionaryFormat,
  type ParsedDictionary,
  type ParseDictionaryOptions,
} from './dictionary';
export { FilterError, isFilterError, type FilterErrorCode } from './errors';
export type {
  CheckResult,
  FilterEntry,
  FilterMatch,
  FilterStats,
  MatchKind,
  Policy,
  Verdict,
  WordFilter,
  WordFilterOptions,
} from './types';
