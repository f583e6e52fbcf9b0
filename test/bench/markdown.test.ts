import { describe, expect, it } from 'vitest';
import { formatRate, formatRatio, suiteMarkdown } from '../../bench/markdown.js';
import { ratios } from '../../bench/results.js';
import { convnetResult, mlpResult, suiteResult } from './fixtures.js';

const tableRows = (md: string, framework: string) => md.split('\n').filter((l) => l.startsWith(`| ${framework} |`));

describe('suiteMarkdown', () => {
  const md = suiteMarkdown(suiteResult());

  it('heads the page with the machine, its versions, the date and the command', () => {
    const head = md.split('\n## ')[0];
    for (const text of ['amd-epyc-7b13-2c', 'AMD EPYC 7B13, 2 cores, 7.8 GiB', 'Node v20.19.0', 'weft 0.1.0', 'tfjs-core 4.22.0', 'torch 2.11.0', '2026-11-27', '`weft bench --quick`', 'median of 5']) {
      expect(head).toContain(text);
    }
  });

  it('has one row per weft point with rate, min, max (thousands separated) and efficiency', () => {
    expect(tableRows(md, 'weft')).toEqual([
      '| weft | 1 worker | 10,000 | 9,000 | 11,000 | 100% |',
      '| weft | 2 workers | 19,000 | 17,100 | 20,900 | 95% |',
      '| weft | 4 workers | 34,000 | 30,600 | 37,400 | 85% |',
    ]);
  });

  it('has one row per peer point, with no efficiency', () => {
    expect(tableRows(md, 'pytorch')).toEqual([
      '| pytorch | 1 thread | 4,000 | 3,600 | 4,400 |  |',
      '| pytorch | 2 threads | 12,000 | 10,800 | 13,200 |  |',
      '| pytorch | 4 threads | 15,000 | 13,500 | 16,500 |  |',
    ]);
    expect(tableRows(md, 'tfjs-layers-wasm')).toEqual(['| tfjs-layers-wasm | 1 thread | 500 | 450 | 550 |  |']);
  });

  it('lists a skipped peer with its reason', () => {
    expect(tableRows(md, 'tfjs-layers-cpu')).toEqual(['| tfjs-layers-cpu | 1 thread | skipped: the cpu backend ran out of time budget |  |  |  |']);
  });

  it('escapes a pipe or newline in a reason so the table keeps its columns', () => {
    const model = mlpResult({ peers: [{ peer: 'pytorch', threads: 1, skipped: 'exit 1 | no torch\nTraceback' }] });
    const [row] = tableRows(suiteMarkdown(suiteResult([model])), 'pytorch');
    expect(row).toBe('| pytorch | 1 thread | skipped: exit 1 \\| no torch Traceback |  |  |  |');
  });

  it('writes a line per ratio, with its value', () => {
    const lines = md.split('\n').filter((l) => l.startsWith('- weft'));
    expect(lines).toEqual([
      '- weft 1 worker / pytorch 1 thread: 2.5×',
      '- weft best (4 workers) / pytorch best (4 threads): 2.3×',
      '- weft 4 workers / pytorch 4 threads: 2.3×',
      '- weft 1 worker / tfjs-layers-wasm 1 thread: 20.0×',
      '- weft best (4 workers) / tfjs-layers-wasm best (1 thread): 68.0×',
    ]);
    expect(lines).toHaveLength(ratios(mlpResult()).length);
  });

  it('gives every model its own section', () => {
    const second = mlpResult({ key: 'wide', name: 'MLP 784-2048-2048-10', batch: 2048 });
    const twice = suiteMarkdown(suiteResult([mlpResult(), second]));
    expect(twice).toContain('## MLP 784-512-512-10\n');
    expect(twice).toContain('## MLP 784-2048-2048-10\n');
    expect(twice).toContain('Batch 2,048');
    expect(tableRows(twice, 'weft')).toHaveLength(6);
  });
});

describe('suiteMarkdown for the convnet', () => {
  const md = suiteMarkdown(suiteResult([mlpResult(), convnetResult()]));
  const section = md.slice(md.indexOf('## Keras MNIST convnet'));

  it('gives each model its parameter count and its layers', () => {
    expect(md).toContain('Model: 784 features → Dense 512 relu → Dropout 0.2 → Dense 512 relu → Dropout 0.2 → Dense 10 softmax.');
    expect(section).toContain('Batch 128, 34,826 parameters.');
    expect(section).toContain(
      'Model: 28×28×1 image → Conv2D 32 3×3 relu → MaxPooling2D 2 → Conv2D 64 3×3 relu → MaxPooling2D 2 → Flatten → Dropout 0.5 → Dense 10 softmax.',
    );
  });

  it("lists tfjs-layers on wasm as unable to train it, with the backend's error, and compares weft with PyTorch only", () => {
    expect(tableRows(section, 'tfjs-layers-wasm')).toEqual([
      "| tfjs-layers-wasm | 1 thread | skipped: cannot train: Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm' |  |  |  |",
    ]);
    expect(tableRows(section, 'weft')).toEqual(['| weft | 1 worker | 700 | 630 | 770 | 100% |', '| weft | 2 workers | 1,300 | 1,170 | 1,430 | 93% |']);
    expect(section.split('\n').filter((l) => l.startsWith('- weft'))).toEqual([
      '- weft 1 worker / pytorch 1 thread: 0.41×',
      '- weft best (2 workers) / pytorch best (1 thread): 0.76×',
      '- weft 2 workers / pytorch 2 threads: 1.3×',
    ]);
  });
});

describe('number formats', () => {
  it('separates thousands and keeps one decimal only for small rates', () => {
    expect(formatRate(1_234_567.8)).toBe('1,234,568');
    expect(formatRate(753.4)).toBe('753');
    expect(formatRate(12.34)).toBe('12.3');
  });

  it('gives ratios one decimal, or two below 1', () => {
    expect(formatRatio(3.21)).toBe('3.2×');
    expect(formatRatio(0.456)).toBe('0.46×');
    expect(formatRatio(1234.5)).toBe('1,234.5×');
  });
});
