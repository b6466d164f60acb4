/** What to do with a message that contains the word. Stronger to the right: mask < review < reject. */
export type Policy = 'mask' | 'review' | 'reject';

/** Outcome of a check: the strongest policy among the matches, or 'allow' when there is none. */
export type Verdict = 'allow' | Policy;

/**
 * How a match was found.
 * - `exact`: the normalised text spells the word (case, width, compatibility forms, confusables,
 *   Traditional/Simplified, separators and leet are all part of normalisation);
 * - `repeat`: only after collapsing a run of 3+ identical letters to one or two (fuuuck, asssss);
 * - `pinyin`: the toneless pinyin of a CJK entry, written in Latin letters (dubo, du bo for 赌博).
 */
export type MatchKind = 'exact' | 'repeat' | 'pinyin';

export interface FilterEntry {
  readonly word: string;
  readonly policy: Policy;
  readonly category?: string;
}

export interface FilterMatch {
  /** The dictionary word as it was given (for pinyin matches, the CJK entry). */
  readonly word: string;
  readonly policy: Policy;
  readonly category: string | undefined;
  /** UTF-16 offset of the first matched character in the original text (inclusive). */
  readonly start: number;
  /** UTF-16 offset after the last matched character in the original text (exclusive). */
  readonly end: number;
  readonly kind: MatchKind;
}

export interface CheckResult {
  readonly verdict: Verdict;
  /** The input with every `mask` match replaced by one '*' per visible character (zero-width dropped). */
  readonly text: string;
  /** Matches not covered by an allow-list occurrence, ordered by start then end. */
  readonly matches: readonly FilterMatch[];
}

export interface WordFilterOptions {
  readonly entries: readonly FilterEntry[];
  /** Innocent words that contain entries; a match lying fully inside an occurrence is dropped. */
  readonly allow?: readonly string[];
  /** Longest accepted text, in UTF-16 code units. Default 2000. Longer texts throw `TEXT_TOO_LONG`. */
  readonly maxTextLength?: number;
  /** Also match after collapsing runs of 3+ identical letters (kind `repeat`). Default true. */
  readonly repeats?: boolean;
  /** Also match the toneless pinyin of CJK entries (kind `pinyin`). Default false. */
  readonly pinyin?: boolean;
  /** Pinyin forms shorter than this many letters are not added: `made` (妈的) is English. Default 5. */
  readonly pinyinMinLetters?: number;
  /**
   * Screen each text with the one-pass prescan and run the exact matcher only on texts it cannot clear.
   * Default true; false (for tests and benchmarks) always runs the exact matcher. Results are the same.
   */
  readonly prescan?: boolean;
  /** Strongest policy a pinyin match may carry (it is less certain than a CJK match). Default 'review'. */
  readonly pinyinMaxPolicy?: Policy;
}

export interface FilterStats {
  /** Entries given. */
  readonly entries: number;
  /** Distinct normalised keys in the automaton (entries + pinyin forms + allow words). */
  readonly keys: number;
  readonly states: number;
  /** Distinct normalised characters in the keys. */
  readonly alphabet: number;
  /** Wall time of createWordFilter, in milliseconds (the Unicode table, built once per process, included on first use). */
  readonly buildMs: number;
}

export interface WordFilter {
  /** Matches `text`. Throws `FilterError` `TEXT_TOO_LONG` when it exceeds `maxTextLength`. */
  check(text: string): CheckResult;
  /** The verdict alone, without building match objects or the masked text; allocates nothing. */
  verdictOf(text: string): Verdict;
  readonly stats: FilterStats;
}
