// AssemblyScript (compiled by bench/floor.bench.ts with asc): the same per-word floor loop as
// floorJs in that file, over UTF-16 text the caller copies to `textPtr`. Kept as .as so that the
// TypeScript tooling leaves it alone; the bench copies it to a .ts file for asc.
let lanePtr: i32 = 0;
let wordsPtr: i32 = 0;
let wordShift: i32 = 0;
let gapKeysPtr: i32 = 0;
let gapStatesPtr: i32 = 0;
let gapMask: i32 = 0;
let textPtr: i32 = 0;

export function setup(lane: i32, words: i32, shift: i32, gapKeys: i32, gapStates: i32, mask: i32, text: i32): void {
  lanePtr = lane;
  wordsPtr = words;
  wordShift = shift;
  gapKeysPtr = gapKeys;
  gapStatesPtr = gapStates;
  gapMask = mask;
  textPtr = text;
}

// @ts-ignore: decorator
@inline function wordHash(h: i32, sym: i32): i32 {
  return ((h + sym) * 0x2c1b3c6d) ^ <i32>(<u32>h >> 15);
}

export function floor(len: i32): i32 {
  let h: i32 = 0;
  let hits: i32 = 0;
  for (let i: i32 = 0; i < len; i++) {
    const e = load<i32>(lanePtr + (<i32>load<u16>(textPtr + (i << 1)) << 3));
    if ((e & 15) == 4) {
      h = wordHash(h, e >> 5);
      continue;
    }
    if (h != 0) {
      const b = <u32>h >> wordShift;
      if ((load<i32>(wordsPtr + ((b >> 5) << 2)) & (1 << (b & 31))) != 0) hits++;
      let slot = <i32>(<u32>(h * 0x9e3779b1) & gapMask);
      while (true) {
        if (load<i32>(gapStatesPtr + (slot << 2)) == 0) break;
        if (load<i32>(gapKeysPtr + (slot << 2)) == h) {
          hits++;
          break;
        }
        slot = (slot + 1) & gapMask;
      }
      h = 0;
    }
  }
  return hits;
}
