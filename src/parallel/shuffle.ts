import { philox4x32 } from './philox.js';
import { foldIn, type Key } from './random.js';

const SHUFFLE_DOMAIN = 0x5f0ff1e;
const word = new Uint32Array(4);

/**
 * The epoch's example order: a Fisher–Yates shuffle whose draws come from the run key, so one
 * seed gives one order on any machine and with any number of workers. Writes into `out`.
 */
export function epochPermutation(runKey: Key, epoch: number, out: Int32Array): Int32Array {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = i;
  const [k0, k1] = foldIn(foldIn(runKey, SHUFFLE_DOMAIN), epoch);
  for (let i = n - 1; i > 0; i--) {
    philox4x32(i, 0, 0, 0, k0, k1, word);
    // Two words give a 53-bit uniform; its bias over i + 1 < 2^32 outcomes is below 2^-21.
    const u = (word[0] * 2 ** 21 + (word[1] >>> 11)) / 2 ** 53;
    const j = Math.floor(u * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
