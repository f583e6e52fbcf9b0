import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import type { ArrayData, ClassLabels } from '../../../src/train/data.js';
import { resizeToFloats } from '../../../src/train/files/images.js';
import { disposeAfterEach } from '../../support/dispose.js';

const track = disposeAfterEach();

/** An RGBA image of w × h filled with one colour. */
const solid = (w: number, h: number, rgba: [number, number, number, number]) => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 4 }, (_, i) => rgba[i % 4]) });

function png(w: number, h: number, rgba: [number, number, number, number]): Buffer {
  const img = new PNG({ width: w, height: h });
  img.data = Buffer.from(solid(w, h, rgba).data);
  return PNG.sync.write(img);
}

/** A folder with classes 'cat' (3 PNGs, one 7×5) and 'dog' (2: a PNG and a JPEG), and a stray file at the top. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-images-'));
  mkdirSync(join(dir, 'dog'));
  mkdirSync(join(dir, 'cat'));
  writeFileSync(join(dir, 'cat', 'a.png'), png(4, 4, [255, 0, 0, 255]));
  writeFileSync(join(dir, 'cat', 'b.png'), png(7, 5, [0, 255, 0, 255]));
  writeFileSync(join(dir, 'cat', 'c.PNG'), png(4, 4, [0, 0, 255, 128]));
  writeFileSync(join(dir, 'cat', 'notes.txt'), 'not an image');
  writeFileSync(join(dir, 'dog', 'd.png'), png(2, 2, [51, 51, 51, 255]));
  writeFileSync(join(dir, 'dog', 'e.jpg'), jpeg.encode({ ...solid(8, 8, [200, 200, 200, 255]), data: Buffer.from(solid(8, 8, [200, 200, 200, 255]).data) }, 95).data);
  writeFileSync(join(dir, 'top.png'), png(4, 4, [0, 0, 0, 255]));
  return dir;
}

describe('resizeToFloats', () => {
  it('keeps a constant image constant, scales to [0, 1] and averages neighbours bilinearly', () => {
    expect(Array.from(resizeToFloats(solid(5, 3, [255, 51, 0, 255]), 4, 6, 3)).slice(0, 3)).toEqual([1, 0.2, 0].map(Math.fround));
    const ramp = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 255]) };
    // Four columns from two, half-pixel centres: 0, 0.25, 0.75, 1 of the way across.
    expect(Array.from(resizeToFloats(ramp, 1, 4, 1)).map((v) => Math.round(v * 1000) / 1000)).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('weft.data.imageFolder', () => {
  it('finds the classes (sorted folder names) and their PNG and JPEG files, decoded, resized and scaled', async () => {
    const ds = weft.data.imageFolder(folder(), { imageSize: [3, 3], shuffle: false });
    const info = await ds.info();
    expect(info).toMatchObject({ rows: 5, featureShape: [3, 3, 3], label: { classes: ['cat', 'dog'] } });
    expect(info.notes).toEqual(['Found 5 files belonging to 2 classes: cat, dog.']);
    const { xs, ys } = await ds.load();
    const x = (xs as ArrayData).values;
    expect((xs as ArrayData).shape).toEqual([5, 3, 3, 3]);
    expect(Array.from(x.subarray(0, 3))).toEqual([1, 0, 0]);
    expect(Array.from(x.subarray(27, 30))).toEqual([0, 1, 0]);
    expect(Array.from(x.subarray(3 * 27, 3 * 27 + 3))).toEqual([0.2, 0.2, 0.2].map(Math.fround));
    const jpegPixel = x[4 * 27];
    expect(jpegPixel).toBeGreaterThan(0.76);
    expect(jpegPixel).toBeLessThan(0.81);
    expect(Array.from((ys as ClassLabels).indices)).toEqual([0, 0, 0, 1, 1]);
    const gray = await weft.data.imageFolder(folder(), { imageSize: [2, 2], colorMode: 'grayscale', shuffle: false }).load();
    expect((gray.xs as ArrayData).shape).toEqual([5, 2, 2, 1]);
    expect((gray.xs as ArrayData).values[0]).toBeCloseTo(0.2989, 4);
    const rgba = await weft.data.imageFolder(folder(), { imageSize: [2, 2], colorMode: 'rgba', shuffle: false }).load();
    expect((rgba.xs as ArrayData).values[2 * 16 + 3]).toBeCloseTo(128 / 255, 5);
  });

  it('a class folder is walked to any depth, as Keras does', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'dog', '2023'));
    writeFileSync(join(dir, 'dog', '2023', 'f.png'), png(3, 3, [9, 9, 9, 255]));
    const ds = weft.data.imageFolder(dir, { imageSize: [2, 2], shuffle: false });
    expect((await ds.info()).rows).toBe(6);
    expect(ds.files()!.map((f) => f.split('/').slice(-3).join('/'))).toContain('dog/2023/f.png');
    expect(Array.from(((await ds.load()).ys as ClassLabels).indices)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it("splits as Keras: a seeded shuffle, then the last fraction is 'validation'; 'both' gives the two", async () => {
    const dir = folder();
    const [train, val] = weft.data.imageFolder(dir, { imageSize: [2, 2], validationSplit: 0.4, subset: 'both', seed: 3 });
    expect([(await train.info()).size, (await val.info()).size]).toEqual([3, 2]);
    const v = weft.data.imageFolder(dir, { imageSize: [2, 2], validationSplit: 0.4, subset: 'validation', seed: 3 });
    expect(Array.from((await v.load()).xs.values)).toEqual(Array.from((await val.load()).xs.values));
    const all = [...(await train.load()).xs.values, ...(await val.load()).xs.values];
    expect(all.length).toBe(5 * 12);
  });

  it('trains a small convnet from the folder with labels as the loss needs', async () => {
    const inputs = weft.input({ shape: [4, 4, 3] });
    const c = weft.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(inputs);
    const model = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 2, activation: 'softmax' }).apply(weft.layers.flatten().apply(c)), seed: 1 }));
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(weft.data.imageFolder(folder(), { imageSize: [4, 4] }), { epochs: 2, batchSize: 2, verbose: 0, workers: 1 });
    expect(h.history.loss).toHaveLength(2);
    for (const l of h.history.loss) expect(Number.isFinite(l)).toBe(true);
  });

  it('labels: null reads every image under the folder, unlabelled (to predict on)', async () => {
    const ds = weft.data.imageFolder(folder(), { imageSize: [2, 2], labels: null, shuffle: false });
    const info = await ds.info();
    expect(info.label).toBeNull();
    expect(ds.files()!.map((f) => f.split('/').slice(-2).join('/'))).toEqual(['cat/a.png', 'cat/b.png', 'cat/c.PNG', 'dog/d.png', 'dog/e.jpg', expect.stringMatching(/top\.png$/)]);
    expect((await ds.load()).ys).toBeNull();
    expect(() => weft.data.imageFolder(folder(), { imageSize: [2, 2], labels: 'folders' as never })).toThrow(/labels.*'inferred'/);
  });

  it('an empty folder, an undecodable image and bad options are refused by name', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'weft-empty-'));
    expect(() => weft.data.imageFolder(empty, { imageSize: [2, 2] })).toThrow(/Invalid image folder .*one subfolder per class.*no subfolders/);
    mkdirSync(join(empty, 'a'));
    expect(() => weft.data.imageFolder(empty, { imageSize: [2, 2] })).toThrow(/no images in 1 subfolders/);
    expect(() => weft.data.imageFolder(join(empty, 'nope'), { imageSize: [2, 2] })).toThrow(/Cannot read image folder .*nope.*no such file/);
    const dir = folder();
    writeFileSync(join(dir, 'dog', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    await expect(weft.data.imageFolder(dir, { imageSize: [2, 2] }).load()).rejects.toThrow(/Invalid image '.*broken\.png'. Expected a PNG or JPEG file that decodes/);
    writeFileSync(join(dir, 'dog', 'broken.png'), 'text');
    await expect(weft.data.imageFolder(dir, { imageSize: [2, 2] }).load()).rejects.toThrow(/broken\.png.*Expected a PNG or JPEG file/);
    expect(() => weft.data.imageFolder(dir, {} as never)).toThrow(/imageSize.*\[height, width\]/);
    expect(() => weft.data.imageFolder(dir, { imageSize: [0, 2] })).toThrow(/imageSize\[0\]/);
    expect(() => weft.data.imageFolder(dir, { imageSize: [2, 2], colorMode: 'cmyk' as 'rgb' })).toThrow(/colorMode/);
    expect(() => weft.data.imageFolder(dir, { imageSize: [2, 2], validationSplit: 0.2 })).toThrow(/subset.*validationSplit and subset together/);
    expect(() => weft.data.imageFolder(dir, { imageSize: [2, 2], labelMode: 'binary', subset: 'training', validationSplit: 0.5 })).not.toThrow();
    expect(() => weft.data.imageFolder(dir, { imageSize: [2, 2], validationSplit: 0.01, subset: 'validation' })).toThrow(/validationSplit.*both sides/);
  });
});
