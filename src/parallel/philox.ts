/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
 * "Parallel random numbers: as easy as 1, 2, 3" (SC'11).
 *
 * A counter-based generator is a keyed bijection of a 128-bit counter: output
 * = f_key(counter). There is no state to carry between calls, so any worker can
 * draw the numbers of any (example, epoch, layer) directly, and the draws do not
 * depend on which thread asked or in what order (DESIGN.md, "Randomness").
 *
 * The word layout, multipliers, Weyl key bumps and round count follow the
 * Random123 reference (philox.h); the Random123 known-answer vectors
 * (tests/kat_vectors) are checked in test/parallel/philox.test.ts.
 *
 * Speed: this runs in the training hot path. JavaScript has no 32x32->64
 * multiply, and BigInt is far too slow, so each round's product is split in two
 * exact pieces: the low word from Math.imul, the high word from float64 math
 * corrected by that low word (see `mulhi32` below for the error bound). A round is
 * a chain of dependent float operations, so one block at a time is latency
 * bound; `philox4x32Blocks` runs four independent blocks interleaved, which lets
 * the CPU overlap them (about 2x faster on V8/x64).
 */

/** A Philox4x32 key: two uint32 words (k0, k1). */
export type Key = readonly [number, number];

/** Round multipliers (Salmon et al. SC'11; Random123 PHILOX_M4x32_0/1). */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
/** Key schedule increments: golden ratio and sqrt(3)-1 (Random123 PHILOX_W32_0/1). */
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;

/** 2^-32; multiplying by a power of two is exact in float64. */
const TWO_M32 = 2.3283064365386963e-10;
/** M * 2^-32, exact (the multipliers have 32 significant bits). */
const MT0 = M0 * TWO_M32;
const MT1 = M1 * TWO_M32;

/**
 * High 32 bits of the 64-bit product of uint32s a*b, without BigInt. The
 * rounds below inline this exact expression with a = M0, M1 (mt = a*2^-32);
 * this export is the statement of the trick that the tests check.
 *
 * With P = a*b = hi*2^32 + lo and lo = Math.imul(a, b) exact, x = fl(P*2^-32)
 * is within 2^-22 of hi + lo*2^-32 (half an ulp below 2^32). Adding 0.5 and
 * subtracting lo*2^-32 (exact) gives hi + 0.5 + err, |err| < 2^-19, so
 * truncation yields hi exactly. The 0.5 guard is needed: without it, products
 * just above hi = 2^k (e.g. M0 * 0x9bcd91) truncate to hi - 1. `| 0` also
 * wraps to int32, the representation the XORs want anyway.
 */
export function mulhi32(a: number, b: number): number {
  const lo = Math.imul(a, b);
  return ((a * TWO_M32 * (b >>> 0) + 0.5 - (lo >>> 0) * TWO_M32) | 0) >>> 0;
}

/**
 * One Philox4x32-10 block: writes the 4 output words of f_(k0,k1)(c0..c3) as
 * uint32 to out[outOffset .. outOffset+3]. All inputs are taken mod 2^32.
 *
 * Round (Random123 _philox4x32round): (hi0,lo0) = M0*c0, (hi1,lo1) = M1*c2,
 * c' = (hi1^c1^k0, lo1, hi0^c3^k1, lo0); then the key is bumped by the Weyl
 * constants before the next round.
 */
export function philox4x32(
  c0: number, c1: number, c2: number, c3: number,
  k0: number, k1: number,
  out: Uint32Array, outOffset = 0,
): void {
  c0 |= 0; c1 |= 0; c2 |= 0; c3 |= 0; k0 |= 0; k1 |= 0;
  for (let r = 0; r < ROUNDS; r++) {
    const l0 = Math.imul(M0, c0);
    const l1 = Math.imul(M1, c2);
    const h0 = (MT0 * (c0 >>> 0) + 0.5 - (l0 >>> 0) * TWO_M32) | 0;
    const h1 = (MT1 * (c2 >>> 0) + 0.5 - (l1 >>> 0) * TWO_M32) | 0;
    c0 = h1 ^ c1 ^ k0; c1 = l1; c2 = h0 ^ c3 ^ k1; c3 = l0;
    k0 = (k0 + W0) | 0; k1 = (k1 + W1) | 0;
  }
  out[outOffset] = c0; out[outOffset + 1] = c1;
  out[outOffset + 2] = c2; out[outOffset + 3] = c3;
}

/**
 * `blocks` consecutive Philox blocks with counters (c0 + i, c1, c2, c3),
 * i = 0..blocks-1, written to out[outOffset + 4i .. +3]. Same numbers as calling
 * `philox4x32` per block (c0 + i wraps mod 2^32), but four blocks per loop
 * iteration: their rounds are independent, so the float latency of one hides
 * behind the others. This is the bulk path every sampler uses.
 */
export function philox4x32Blocks(
  c0: number, c1: number, c2: number, c3: number,
  k0: number, k1: number,
  blocks: number, out: Uint32Array, outOffset = 0,
): void {
  c1 |= 0; c2 |= 0; c3 |= 0; k0 |= 0; k1 |= 0;
  let i = 0;
  let o = outOffset;
  for (; i + 4 <= blocks; i += 4, o += 16) {
    // Four blocks a, b, c, d share c1..c3, only word 0 differs.
    let a0 = (c0 + i) | 0, a1 = c1, a2 = c2, a3 = c3;
    let b0 = (a0 + 1) | 0, b1 = c1, b2 = c2, b3 = c3;
    let d0 = (a0 + 2) | 0, d1 = c1, d2 = c2, d3 = c3;
    let e0 = (a0 + 3) | 0, e1 = c1, e2 = c2, e3 = c3;
    let ka = k0, kb = k1;
    for (let r = 0; r < ROUNDS; r++) {
      const la = Math.imul(M0, a0), ma = Math.imul(M1, a2);
      const lb = Math.imul(M0, b0), mb = Math.imul(M1, b2);
      const ld = Math.imul(M0, d0), md = Math.imul(M1, d2);
      const le = Math.imul(M0, e0), me = Math.imul(M1, e2);
      const ha = (MT0 * (a0 >>> 0) + 0.5 - (la >>> 0) * TWO_M32) | 0;
      const ga = (MT1 * (a2 >>> 0) + 0.5 - (ma >>> 0) * TWO_M32) | 0;
      const hb = (MT0 * (b0 >>> 0) + 0.5 - (lb >>> 0) * TWO_M32) | 0;
      const gb = (MT1 * (b2 >>> 0) + 0.5 - (mb >>> 0) * TWO_M32) | 0;
      const hd = (MT0 * (d0 >>> 0) + 0.5 - (ld >>> 0) * TWO_M32) | 0;
      const gd = (MT1 * (d2 >>> 0) + 0.5 - (md >>> 0) * TWO_M32) | 0;
      const he = (MT0 * (e0 >>> 0) + 0.5 - (le >>> 0) * TWO_M32) | 0;
      const ge = (MT1 * (e2 >>> 0) + 0.5 - (me >>> 0) * TWO_M32) | 0;
      a0 = ga ^ a1 ^ ka; a1 = ma; a2 = ha ^ a3 ^ kb; a3 = la;
      b0 = gb ^ b1 ^ ka; b1 = mb; b2 = hb ^ b3 ^ kb; b3 = lb;
      d0 = gd ^ d1 ^ ka; d1 = md; d2 = hd ^ d3 ^ kb; d3 = ld;
      e0 = ge ^ e1 ^ ka; e1 = me; e2 = he ^ e3 ^ kb; e3 = le;
      ka = (ka + W0) | 0; kb = (kb + W1) | 0;
    }
    out[o] = a0; out[o + 1] = a1; out[o + 2] = a2; out[o + 3] = a3;
    out[o + 4] = b0; out[o + 5] = b1; out[o + 6] = b2; out[o + 7] = b3;
    out[o + 8] = d0; out[o + 9] = d1; out[o + 10] = d2; out[o + 11] = d3;
    out[o + 12] = e0; out[o + 13] = e1; out[o + 14] = e2; out[o + 15] = e3;
  }
  for (; i < blocks; i++, o += 4) philox4x32(c0 + i, c1, c2, c3, k0, k1, out, o);
}
