export type Verdict = 'allow' | 'mask' | 'review' | 'reject';

export interface WordCheckResult {
  verdict: Verdict;
  /** The text with masked words replaced by `*`. */
  text: string;
  matches: { category?: string | undefined }[];
}

/** What the filter service needs from a word matcher. */
export interface WordChecker {
  check(text: string): WordCheckResult;
}

export interface SimpleEntry {
  word: string;
  policy: 'mask' | 'reject';
  category?: string;
}

/**
 * A case-insensitive substring matcher: the simple word check of the walking skeleton.
 * The evasion-resistant engine (@roomcast/filter-engine) plugs in behind the same interface.
 */
export function createSimpleWordChecker(entries: SimpleEntry[]): WordChecker {
  const list = entries.filter((e) => e.word.length > 0).map((e) => ({ ...e, lower: e.word.toLowerCase() }));
  return {
    check(text) {
      const lower = text.toLowerCase();
      let verdict: Verdict = 'allow';
      let out = text;
      const matches: { category?: string }[] = [];
      for (const e of list) {
        let from = 0;
        for (;;) {
          const at = lower.indexOf(e.lower, from);
          if (at < 0) break;
          matches.push({ category: e.category });
          if (e.policy === 'reject') verdict = 'reject';
          else {
            if (verdict === 'allow') verdict = 'mask';
            // toLowerCase keeps UTF-16 length for the scripts we mask, so offsets line up.
            out = out.slice(0, at) + '*'.repeat(e.lower.length) + out.slice(at + e.lower.length);
          }
          from = at + e.lower.length;
        }
      }
      return { verdict, text: out, matches };
    },
  };
}
