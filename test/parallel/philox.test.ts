import { describe, expect, it } from 'vitest';
import { mulhi32, philox4x32, philox4x32Blocks } from '../../src/parallel/philox.js';

// Random123 tests/kat_vectors, the three "philox4x32 10" lines:
// counter[4] key[2] -> output[4] (all hex uint32).
const KAT: [string, number[], number[], number[]][] = [
  ['zeros', [0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  ['all ones', [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  ['pi digits', [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

/** xorshift32: a test-only input source independent of the code under test. */
function xorshift(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return s >>> 0;
  };
}

/** Straightforward BigInt Philox4x32-10 (Salmon et al. SC'11), the slow reference. */
function philoxRef(ctr: number[], key: number[]): number[] {
  const M = 0xffffffffn;
  let [c0, c1, c2, c3] = ctr.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key.map(BigInt) as [bigint, bigint];
  for (let r = 0; r < 10; r++) {
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & M, (p0 >> 32n) ^ c3 ^ k1, p0 & M];
    k0 = (k0 + 0x9e3779b9n) & M;
    k1 = (k1 + 0xbb67ae85n) & M;
  }
  return [c0, c1, c2, c3].map(Number);
}

describe('philox4x32 (Philox4x32-10)', () => {
  it.each(KAT)('matches the Random123 known-answer vector: %s', (_name, ctr, key, expected) => {
    const out = new Uint32Array(4);
    philox4x32(ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!, key[0]!, key[1]!, out);
    expect(Array.from(out)).toEqual(expected);
    expect(philoxRef(ctr, key)).toEqual(expected);
  });

  it('writes at outOffset and leaves the rest of the buffer alone', () => {
    const out = new Uint32Array(8).fill(7);
    philox4x32(0, 0, 0, 0, 0, 0, out, 2);
    expect(Array.from(out)).toEqual([7, 7, ...KAT[0]![3], 7, 7]);
  });

  it('agrees with a BigInt reference on random counters and keys', () => {
    const rnd = xorshift(12345);
    const out = new Uint32Array(4);
    for (let t = 0; t < 2000; t++) {
      const ctr = [rnd(), rnd(), rnd(), rnd()];
      const key = [rnd(), rnd()];
      philox4x32(ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!, key[0]!, key[1]!, out);
      expect(Array.from(out)).toEqual(philoxRef(ctr, key));
    }
  });

  it('is exact when a round product lands just above a power of two', () => {
    // Found by exhaustive search over all 2^32 words: M0 * 0x9bcd91 = 0x8000000d493503 and
    // M1 * 0x27d733 = 0x200000a78b3955 are the first words where a high-word computation
    // without the +0.5 guard truncates to 2^k - 1. Round 1 multiplies c0 and c2 as given.
    const cases = [[0x9bcd91, 1, 0x27d733, 2], [0x1379b22, 0, 0x27d733, 0], [0x26f3644, 3, 4, 5]];
    const out = new Uint32Array(4);
    for (const ctr of cases) {
      philox4x32(ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!, 6, 7, out);
      expect(Array.from(out)).toEqual(philoxRef(ctr, [6, 7]));
      const blocks = new Uint32Array(16);
      for (let lane = 0; lane < 4; lane++) { // each lane of the 4-way interleaved path
        philox4x32Blocks(ctr[0]! - lane, ctr[1]!, ctr[2]!, ctr[3]!, 6, 7, 4, blocks);
        expect(Array.from(blocks.subarray(4 * lane, 4 * lane + 4))).toEqual(philoxRef(ctr, [6, 7]));
      }
    }
  });

  it('takes inputs mod 2^32 (int32 and uint32 spellings agree)', () => {
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    philox4x32(-1, -1, -1, -1, -1, -1, a);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, b);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).toEqual(KAT[1]![3]);
  });
});

describe('mulhi32', () => {
  const check = (a: number, b: number): void => {
    const want = Number((BigInt(a) * BigInt(b)) >> 32n);
    if (mulhi32(a, b) !== want) expect([a, b, mulhi32(a, b)]).toEqual([a, b, want]);
  };

  it('equals the BigInt high word on 10k random pairs', () => {
    const rnd = xorshift(987654321);
    for (let t = 0; t < 10000; t++) check(rnd(), rnd());
  });

  it('is exact for the Philox multipliers against 10k random words each', () => {
    const rnd = xorshift(42);
    for (let t = 0; t < 10000; t++) {
      const b = rnd();
      check(0xd2511f53, b);
      check(0xcd9e8d57, b);
    }
  });

  it('is exact at the edges', () => {
    const edges = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
      0xd2511f53, 0xcd9e8d57];
    for (const a of edges) for (const b of edges) check(a, b);
  });

  it('is exact just above powers of two, where dropping the +0.5 guard fails', () => {
    // e.g. 0xffffffd3 * 0x80000017 = 2^63 + 661: without the guard the float path
    // rounds to just below 2^31 and truncates to 2^31 - 1.
    for (const [a, b] of [[0xffffffd3, 0x80000017], [0xffffffd4, 0x4000000c], [0xffffffd5, 0x20000006]]) {
      check(a!, b!);
    }
    for (let k = 0; k < 32; k++) {
      for (let a = 0xffffffff; a > 0xfffffe00; a--) {
        const b = Number(((1n << BigInt(32 + k)) + BigInt(a) - 1n) / BigInt(a));
        if (b < 2 ** 32) check(a, b);
      }
    }
  });
});

describe('philox4x32Blocks', () => {
  it('equals one philox4x32 call per block, for every remainder mod 4', () => {
    for (const blocks of [0, 1, 2, 3, 4, 5, 7, 8, 37]) {
      const got = new Uint32Array(4 * blocks + 2).fill(9);
      philox4x32Blocks(11, 22, 33, 44, 0xdeadbeef, 0x12345678, blocks, got, 2);
      const want = new Uint32Array(4 * blocks + 2).fill(9);
      for (let i = 0; i < blocks; i++) philox4x32(11 + i, 22, 33, 44, 0xdeadbeef, 0x12345678, want, 2 + 4 * i);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('wraps counter word 0 mod 2^32', () => {
    const got = new Uint32Array(40);
    philox4x32Blocks(0xfffffffb, 0, 0, 0, 0, 0, 10, got);
    const want = new Uint32Array(40);
    for (let i = 0; i < 10; i++) philox4x32((0xfffffffb + i) >>> 0, 0, 0, 0, 0, 0, want, 4 * i);
    expect(Array.from(got)).toEqual(Array.from(want));
    // Block 5 has counter 0xfffffffb + 5 = 2^32 = 0: the all-zero KAT.
    expect(Array.from(got.subarray(20, 24))).toEqual(KAT[0]![3]);
  });

  it('reproduces the zero-counter KAT as block 0', () => {
    const got = new Uint32Array(16);
    philox4x32Blocks(0, 0, 0, 0, 0, 0, 4, got);
    expect(Array.from(got.subarray(0, 4))).toEqual(KAT[0]![3]);
  });
});
