import { maskSpans, type CheckResult, type FilterMatch, type Verdict, type WordFilter } from '@roomcast/filter-engine';

export type { Verdict } from '@roomcast/filter-engine';

export interface WordCheckResult {
  verdict: Verdict;
  /** The text with every `mask` match replaced by `*` (one per visible character). */
  text: string;
  /** What matched, ordered by position. Never leaves the service except to moderators. */
  matches: readonly FilterMatch[];
}

/** What the filter service needs from a word matcher. Throws FilterError TEXT_TOO_LONG before matching an oversized text. */
export interface WordChecker {
  check(text: string): WordCheckResult;
}

const RANK: Record<Verdict, number> = { allow: 0, mask: 1, review: 2, reject: 3 };

/** The checker of one compiled engine filter. */
export function engineChecker(filter: WordFilter): WordChecker {
  return { check: (text) => filter.check(text) };
}

/**
 * A room's checker: the shared global filter, then the room's own (small) overlay filter, merged.
 * Verdict = the stronger one; matches = both. Masked text: if only one side masked anything, its
 * text; if both did, the overlay is run once more over the globally masked text to mask its words
 * too (the two filters' offsets refer to the same original, but masking may drop zero-width
 * characters, so the second pass is the simple way to line them up).
 *
 * `roomAllow` finds the room's allow-list words (compiled as entries, so their occurrences come back
 * as matches): a global match lying fully inside one is dropped in this room, as the global
 * allow-list drops it everywhere. The room's own entries already have the room's allow words.
 */
export function layeredChecker(global: WordFilter, overlay: WordFilter | undefined, roomAllow?: WordFilter): WordChecker {
  return {
    check(text) {
      let a: WordCheckResult = global.check(text);
      if (roomAllow !== undefined && a.matches.length > 0) a = unlisted(text, a, roomAllow.check(text).matches);
      if (overlay === undefined) return a;
      const b: CheckResult = overlay.check(text);
      if (b.verdict === 'allow') return a;
      if (a.verdict === 'allow') return b;
      const aMasked = a.text !== text;
      const bMasked = b.text !== text;
      const masked = aMasked && bMasked ? overlay.check(a.text).text : aMasked ? a.text : b.text;
      const matches = [...a.matches, ...b.matches].sort((x, y) => x.start - y.start || x.end - y.end);
      return { verdict: RANK[a.verdict] >= RANK[b.verdict] ? a.verdict : b.verdict, text: masked, matches };
    },
  };
}

/** `result` without the matches lying fully inside one of `allowed`; verdict and masking redone. */
function unlisted(text: string, result: WordCheckResult, allowed: readonly FilterMatch[]): WordCheckResult {
  if (allowed.length === 0) return result;
  const kept = result.matches.filter((m) => !allowed.some((o) => o.start <= m.start && m.end <= o.end));
  if (kept.length === result.matches.length) return result;
  let verdict: Verdict = 'allow';
  for (const m of kept) if (RANK[m.policy] > RANK[verdict]) verdict = m.policy;
  return { verdict, text: maskSpans(text, kept.filter((m) => m.policy === 'mask')), matches: kept };
}

/**
 * What a rejected sender is told: the category of the first reject match that has one, else
 * `blocked`. Never the word.
 */
export function rejectionReason(result: WordCheckResult): string {
  return result.matches.find((m) => m.policy === 'reject' && m.category !== undefined)?.category ?? 'blocked';
}

/** Distinct categories of the matches with `policy` (for the review queue). */
export function categoriesOf(result: WordCheckResult, policy: FilterMatch['policy']): string[] {
  return [...new Set(result.matches.filter((m) => m.policy === policy).map((m) => m.category ?? 'unspecified'))];
}
