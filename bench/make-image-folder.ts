/**
 * Writes a folder of PNG images sorted by class, as a user's photos would sit, from
 * Fashion-MNIST (Debian's dataset-fashion-mnist, or $WEFT_FASHION_MNIST): OUT/<class>/<n>.png,
 * 28×28 grey. weft.data.imageFolder and `weft train --data OUT` read it.
 *
 *   npm run bench:image-folder -- OUT [PER_CLASS=100] [SPLIT=train|test]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../src/index.js';

const out = process.argv[2];
if (out === undefined) {
  console.error('usage: node dist/bench/make-image-folder.js OUT [PER_CLASS=100] [SPLIT=train|test]');
  process.exit(2);
}
const perClass = Number(process.argv[3] ?? 100);
const split = process.argv[4] === 'test' ? 'test' : 'train';
const data = loadFashionMnist()[split];
const folders = FASHION_MNIST_CLASSES.map((c) => c.replace(/[^A-Za-z0-9-]+/g, '_'));
const written = new Array<number>(10).fill(0);
for (let i = 0; i < data.rows && written.some((n) => n < perClass); i++) {
  const label = data.labels[i];
  if (written[label] >= perClass) continue;
  const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const pixels = Buffer.from(Array.from(data.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
  png.data = pixels;
  const dir = join(resolve(out), folders[label]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${String(written[label]).padStart(5, '0')}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  written[label]++;
}
console.log(`Wrote ${written.reduce((a, b) => a + b, 0)} PNGs (${perClass} per class, Fashion-MNIST ${split}) to ${resolve(out)}`);
