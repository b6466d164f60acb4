/*
 * How close can any implementation of check() get to the 20× target on this machine? Prints
 * one JSON object comparing, in one process with the loops taking turns, the cost per UTF-16 code unit of
 *  - `tableRead`: reading each code unit of a message through the prescan's code-unit table, nothing
 *    else (the least any table-driven matcher does);
 *  - `wordFloorJs`: that plus what the word-boundary rule needs for Latin text at the least: a hash
 *    rolled over each word and, at each word's end, one probe of the whole-key bit set and one of
 *    the word-gap table (the prescan's own tables);
 *  - `wordFloorWasm`: the same loop compiled from AssemblyScript (bench/wasm/floor.as, asc -O3) to
 *    WebAssembly, plus `copyIn`, what copying the text into WebAssembly memory costs on its own, and
 *    `encodeInto` / `encodeIntoAll`, the native alternative (TextEncoder.encodeInto, UTF-8, into the
 *    same memory) on the English messages and on the whole corpus;
 *  - `mayMatch`: the prescan itself, on the same messages;
 * over the English messages the prescan clears, and `check()` and mint-filter over the whole corpus,
 * with the 20× budget that mint-filter's speed implies.
 *
 * Run: pnpm --filter @roomcast/filter-engine bench:floor
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Mint from 'mint-filter';
import { createWordFilter } from '../src/index';
import * as prescan from '../src/prescan';
import { filterToData } from '../src/word-filter';
import { generateDictionary, generateMessages } from './corpus';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
// Module-local copies, as in the engine's sources: through the import, every call of wordHash went
// through the transpiled module's export getter (13 instead of 6 ns per code unit in wordFloorJs).
const Prescanner = prescan.Prescanner;
const wordHash = prescan.wordHash;
/** Called directly, as the prescan does (see prescan.ts): the floor loops read code units the same way. */
const charCodeAt = String.prototype.charCodeAt;
const K_ALPHA = 4; // the prescan's kind of a letter (low 4 bits of a lane entry)

interface PrescanTables {
  lane: Int32Array;
  words: Int32Array;
  wordShift: number;
  gapKeys: Int32Array;
  gapStates: Int32Array;
}

function compileWasm(): Uint8Array<ArrayBuffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roomcast-floor-'));
  try {
    const src = path.join(dir, 'floor.ts');
    copyFileSync(path.join(__dirname, 'wasm', 'floor.as'), src);
    const asc = path.join(path.dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
    const out = path.join(dir, 'floor.wasm');
    execFileSync(process.execPath, [
      asc,
      src,
      '-O3',
      '--noAssert',
      '--runtime',
      'stub',
      '--importMemory',
      '-o',
      out,
    ]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const dictionary = generateDictionary(50_000, 20240601);
  const messages = generateMessages(60_000, dictionary, 7).map((m) => m.text);
  const filter = createWordFilter({ entries: dictionary, pinyin: true, repeats: true });
  const mint = new Mint(dictionary.map((e) => e.word));
  // the prescan of this filter and its tables, from the filter's plain-data form
  const data = filterToData(filter).fields.prescanner as Record<string, unknown>;
  const prescanner = Prescanner.fromData(data);
  const { lane, words, wordShift, gapKeys, gapStates } = data as unknown as PrescanTables;
  const gapMask = gapKeys.length - 1;
  const english = messages.filter((m) => !/[\u3400-\u9fff]/.test(m) && !prescanner.mayMatch(m));

  const tableRead = (text: string): number => {
    let s = 0;
    for (let i = 0; i < text.length; i++) s += (lane[2 * charCodeAt.call(text, i)] as number) & 15;
    return s;
  };
  const wordFloorJs = (text: string): number => {
    let h = 0;
    let hits = 0;
    for (let i = 0; i < text.length; i++) {
      const e = lane[2 * charCodeAt.call(text, i)] as number;
      if ((e & 15) === K_ALPHA) {
        h = wordHash(h, e >> 5);
        continue;
      }
      if (h === 0) continue;
      const b = h >>> wordShift;
      if (((words[b >>> 5] as number) & (1 << (b & 31))) !== 0) hits++;
      let slot = (Math.imul(h, 0x9e3779b1) >>> 0) & gapMask;
      for (;;) {
        if (gapStates[slot] === 0) break;
        if (gapKeys[slot] === h) {
          hits++;
          break;
        }
        slot = (slot + 1) & gapMask;
      }
      h = 0;
    }
    return hits;
  };

  // WebAssembly: the tables copied into its memory once, each text copied in per call
  const memory = new WebAssembly.Memory({ initial: 64 });
  const wasm = new WebAssembly.Instance(new WebAssembly.Module(compileWasm()), {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm abort');
      },
    },
  }).exports as { setup: (...a: number[]) => void; floor: (len: number) => number };
  const bytes = (lane.length + words.length + 2 * gapKeys.length) * 4 + 2 * 4096 + 65536;
  memory.grow(Math.ceil(bytes / 65536));
  let at = 1024; // leave the stub runtime's low memory alone
  const place = (a: Int32Array): number => {
    const p = at;
    new Int32Array(memory.buffer, p, a.length).set(a);
    at += a.length * 4;
    return p;
  };
  const lanePtr = place(lane);
  const wordsPtr = place(words);
  const gapKeysPtr = place(gapKeys);
  const gapStatesPtr = place(gapStates);
  const textView = new Uint16Array(memory.buffer, at, 4096);
  wasm.setup(lanePtr, wordsPtr, wordShift, gapKeysPtr, gapStatesPtr, gapMask, at);
  const copyIn = (text: string): number => {
    for (let i = 0; i < text.length; i++) textView[i] = charCodeAt.call(text, i);
    return text.length;
  };
  const wordFloorWasm = (text: string): number => wasm.floor(copyIn(text));
  // the native way to hand a text to WebAssembly: UTF-8 into its memory (no matcher runs on it here)
  const utf8View = new Uint8Array(memory.buffer, at + 8192, 4 * 4096);
  const encoder = new TextEncoder();
  const encodeInto = (text: string): number => encoder.encodeInto(text, utf8View).written;
  for (const m of english)
    if (wordFloorWasm(m) !== wordFloorJs(m)) throw new Error('the two floor loops disagree');

  const loops: [string, readonly string[], (text: string) => number][] = [
    ['tableRead', english, tableRead],
    ['wordFloorJs', english, wordFloorJs],
    ['wordFloorWasm', english, wordFloorWasm],
    ['copyIn', english, copyIn],
    ['encodeInto', english, encodeInto],
    ['encodeIntoAll', messages, encodeInto],
    ['mayMatch', english, (m) => (prescanner.mayMatch(m) ? 1 : 0)],
    ['check', messages, (m) => filter.check(m).matches.length],
    ['mintFilter', messages, (m) => mint.filter(m).words.length],
  ];
  const best = new Map<string, number>();
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, list, run] of loops) {
      const t0 = process.hrtime.bigint();
      for (const m of list) sink += run(m);
      const ns = Number(process.hrtime.bigint() - t0);
      best.set(name, Math.min(best.get(name) ?? Infinity, ns));
    }
  }
  const units = (list: readonly string[]): number => list.reduce((s, m) => s + m.length, 0);
  const nsPerUnit: Record<string, number> = {};
  for (const [name, list] of loops)
    nsPerUnit[name] = Math.round(((best.get(name) as number) / units(list)) * 100) / 100;
  const mintRate = 1e9 / (nsPerUnit.mintFilter as number);
  console.log(
    JSON.stringify(
      {
        command: 'pnpm --filter @roomcast/filter-engine bench:floor',
        machine: {
          node: process.version,
          cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model ?? 'unknown',
        },
        englishMessages: english.length,
        englishUnits: units(english),
        rounds: ROUNDS,
        nsPerUnit,
        checkMillionUnitsPerSec: Math.round(1e4 / (nsPerUnit.check as number)) / 10,
        mintMillionUnitsPerSec: Math.round(mintRate / 1e4) / 100,
        budgetFor20xNsPerUnit: Math.round((1e9 / (20 * mintRate)) * 100) / 100,
        sink: sink > 0,
      },
      null,
      2,
    ),
  );
}

main();
