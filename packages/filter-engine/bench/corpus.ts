import type { FilterEntry, Policy } from '../src/index';

/** Deterministic 32-bit PRNG (mulberry32): the same seed gives the same dictionary and messages. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The ~500 most frequent simplified characters of chat: what clean Chinese messages are made of.
const COMMON_HAN =
  '的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感见明问力理尔点文几定本公特做外孩相西果走将月十实向声车全信重三机工物气每并别真打太新比才便夫再书部水像眼等体却加电主界门利海受听表德少克代员许先口由死安写性马光白或住难望教命花结乐色更拉东神记处让母父应直字场平报友关放至张认接告入笑内英军候民岁往何度山觉路带万男边风解叫任金快原吃妈变通师立象数四失满战远格士音轻目条呢病始达深完今提求清王化空业思切怎非找片罗钱紫吗语元喜曾离飞科言干流欢约各即指合反题必该论交终林请医晚制球决传画保读运及则房早院量苦火布品近坐产答星精视五连司巴奇管类未朋且婚台夜青北队久乎越观落尽形影红爸百令周吧识步希亚术留市半热送兴造谈容极随演收首根讲整式取照办强石古华拿计您装似足双妻尼转诉米称丽客南领节衣站黑刻统断福城故历惊脸选包紧争另建维绝树系伤示愿持千史谁准联妇纪基买志静阿诗独复痛消社算';
const EN_WORDS =
  'the be to of and a in that have it for not on with he as you do at this but his by from they we say her she or an will my one all would there their what so up out if about who get which go me when make can like time no just him know take people into year your good some could them see other than then now look only come its over think also back after use two how our work first well way even new want because any these give day most us great game stream live chat hello everyone lol nice play win team love song music watch fan thanks wow cool haha yes okay sure really today tonight right here come back again best next let start stop please follow share subscribe gift rocket heart like'.split(
    ' ',
  );
const EN_SET: ReadonlySet<string> = new Set(EN_WORDS);
const EMOJI = ['😀', '😂', '🔥', '👍', '❤️', '🎉', '😭', '🙏', '💯', '🤣'];
const CONSONANTS = 'bcdfghjklmnprstvwxz';
const VOWELS = 'aeiouy';
const POLICIES: readonly Policy[] = ['mask', 'mask', 'review', 'reject'];

function pick<T>(rnd: () => number, list: ArrayLike<T>): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

/**
 * `size` entries: half CJK (2–4 characters, mostly from the whole CJK Unified block so that, as in a
 * real dictionary, few of them occur in everyday chat; one in fifty from the common characters), half
 * Latin pseudo-words (4–9 letters of consonant-vowel syllables, never one of the chat vocabulary's
 * words). Duplicates are skipped.
 */
export function generateDictionary(size: number, seed: number): FilterEntry[] {
  const rnd = mulberry32(seed);
  const seen = new Set<string>();
  const out: FilterEntry[] = [];
  while (out.length < size) {
    let word = '';
    if (out.length % 2 === 0) {
      const len = 2 + Math.floor(rnd() * 3);
      const common = rnd() < 0.02;
      for (let i = 0; i < len; i++) {
        word += common ? pick(rnd, COMMON_HAN) : String.fromCharCode(0x4e00 + Math.floor(rnd() * 0x51a6));
      }
    } else {
      const len = 4 + Math.floor(rnd() * 6);
      while (word.length < len) word += pick(rnd, CONSONANTS) + pick(rnd, VOWELS);
      word = word.slice(0, len);
    }
    if (seen.has(word) || EN_SET.has(word)) continue;
    seen.add(word);
    out.push({ word, policy: pick(rnd, POLICIES), category: `c${out.length % 7}` });
  }
  return out;
}

export interface Message {
  readonly text: string;
  /** A dictionary word was inserted (possibly disguised). */
  readonly dirty: boolean;
}

/**
 * `count` chat-like messages of 20–120 UTF-16 code units: 50% English, 35% Chinese, 15% mixed, with
 * emoji; `dirtyShare` of them carry a dictionary word, a third plain, a third with separators
 * (f.u.c.k, 赌🎲博), a third upper-case/full-width.
 */
export function generateMessages(
  count: number,
  dictionary: readonly FilterEntry[],
  seed: number,
  dirtyShare = 0.1,
): Message[] {
  const rnd = mulberry32(seed);
  const out: Message[] = [];
  for (let n = 0; n < count; n++) {
    const target = 20 + Math.floor(rnd() * 101);
    const kind = rnd();
    const dirty = rnd() < dirtyShare;
    const parts: string[] = [];
    let len = 0;
    let insertAt = dirty ? Math.floor(rnd() * 4) : -1;
    while (len < target) {
      let piece: string;
      if (insertAt === 0) {
        piece = disguise(rnd, pick(rnd, dictionary).word);
      } else if (kind < 0.5 || (kind >= 0.85 && rnd() < 0.5)) {
        piece = pick(rnd, EN_WORDS);
      } else {
        const k = 1 + Math.floor(rnd() * 4);
        piece = '';
        for (let i = 0; i < k; i++) piece += pick(rnd, COMMON_HAN);
      }
      insertAt--;
      if (rnd() < 0.05) piece += pick(rnd, EMOJI);
      parts.push(piece);
      len += piece.length + 1;
    }
    let text = parts.join(kind < 0.5 ? ' ' : rnd() < 0.5 ? '' : ' ');
    if (text.length > 120) text = text.slice(0, 120);
    if (text.length < 20) text = text.padEnd(20, '!');
    out.push({ text, dirty });
  }
  return out;
}

function disguise(rnd: () => number, word: string): string {
  const r = rnd();
  if (r < 1 / 3) return word;
  if (r < 2 / 3) return Array.from(word).join(pick(rnd, ['.', '*', '🔥', '\u200B', '-']));
  // upper case for Latin, full-width for Latin, unchanged CJK
  return rnd() < 0.5
    ? word.toUpperCase()
    : Array.from(word, (ch) =>
        ch >= 'a' && ch <= 'z' ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch,
      ).join('');
}
