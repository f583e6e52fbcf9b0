/**
 * Dense's forward forms on wasm, as a worker meets them: the kernel is a new tensor every step
 * (the weights changed), so XNNPACK packs the second operand of each product afresh.
 *   direct:  relu(x·W + b), one fused matMul that packs W (weight-sized, whatever the rows);
 *   swapped: zᵀ = Wᵀ·xᵀ with W transposed in JS (W is the unpacked first operand, only the
 *            activation-sized xᵀ is packed), z transposed back, bias and relu as two kernels;
 *   mirror:  the same with Wᵀ already in memory (a transposed copy written once per step for
 *            every worker), so nothing weight-sized is computed per worker.
 * Prints the median of each form per (layer, rows) and its ratio to direct. Measured 2026-12-01
 * on the 2-core VM: swapped wins by under 10% below 32 rows and loses from 64 (Dense keeps the
 * direct form); mirror takes 0.37x of direct at 16 rows of 784x512, 0.66x at 64, 0.85x at 128,
 * and breaks even from 256: the lead for a transposed weight copy shared by all workers.
 *   npm run bench:dense-forms
 */
import * as weft from '../src/index.js';
import { transpose2d } from '../src/graph/tensor-io.js';
import { timeIt } from './stats.js';

const { tf } = weft;
const REPEATS = Number(process.env.REPEATS ?? 25);

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5);
}

const layers: [number, number][] = process.env.LAYERS === undefined ? [[784, 512], [512, 512], [512, 10], [64, 128], [128, 10], [100, 128]]
  : process.env.LAYERS.split(',').map((l) => l.split('x').map(Number) as [number, number]);
const rowsList = [16, 32, 64, 128, 256, 512];
console.log('layer      rows   direct ms  swapped ms  swapped/direct  mirror ms  mirror/direct');
for (const [fanIn, units] of layers) {
  const w = random(fanIn * units, 1);
  const b = random(units, 2);
  for (const rows of rowsList) {
    const x = random(rows * fanIn, 3);
    const direct = () => tf.tidy(() => {
      const out = tf.fused.matMul({ a: tf.tensor2d(x, [rows, fanIn]), b: tf.tensor2d(w, [fanIn, units]), bias: tf.tensor1d(b), activation: 'relu' });
      out.dataSync();
    });
    const wt = new Float32Array(fanIn * units);
    for (let i = 0; i < fanIn; i++) for (let j = 0; j < units; j++) wt[j * fanIn + i] = w[i * units + j];
    const mirror = () => tf.tidy(() => {
      const zt = tf.matMul(tf.tensor2d(wt, [units, fanIn]), transpose2d(tf.tensor2d(x, [rows, fanIn])));
      tf.relu(tf.add(transpose2d(zt), tf.tensor1d(b))).dataSync();
    });
    const swapped = () => tf.tidy(() => {
      const zt = tf.matMul(transpose2d(tf.tensor2d(w, [fanIn, units])), transpose2d(tf.tensor2d(x, [rows, fanIn])));
      tf.relu(tf.add(transpose2d(zt), tf.tensor1d(b))).dataSync();
    });
    // Interleaved, so drift on a shared machine hits both forms alike.
    const d: number[] = [];
    const s: number[] = [];
    const m: number[] = [];
    for (let r = 0; r < 3; r++) {
      d.push((await timeIt(direct, Math.ceil(REPEATS / 3))).median);
      s.push((await timeIt(swapped, Math.ceil(REPEATS / 3))).median);
      m.push((await timeIt(mirror, Math.ceil(REPEATS / 3))).median);
    }
    const med = (a: number[]) => a.sort((p, q) => p - q)[1];
    const [dm, sm, mm] = [med(d), med(s), med(m)];
    console.log(`${`${fanIn}x${units}`.padEnd(10)} ${String(rows).padStart(4)}   ${dm.toFixed(3).padStart(9)}  ${sm.toFixed(3).padStart(10)}  ${(sm / dm).toFixed(2).padStart(14)}  ${mm.toFixed(3).padStart(9)}  ${(mm / dm).toFixed(2).padStart(12)}`);
  }
}
