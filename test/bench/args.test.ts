import { afterEach, describe, expect, it } from 'vitest';
import { parseScriptArgs, runScript } from '../../bench/args.js';

describe('bench script arguments', () => {
  const options = { epochs: { type: 'string' as const, default: '10' }, 'no-peer': { type: 'boolean' as const } };
  afterEach(() => { process.exitCode = undefined; });

  it('parses known flags with their defaults', () => {
    expect(parseScriptArgs(options)).toEqual({ epochs: '10' });
  });

  it('an unknown flag is a RangeError naming it and listing the flags', () => {
    const saved = process.argv;
    process.argv = [saved[0], 'script', '--epoch', '3'];
    try {
      expect(() => parseScriptArgs(options)).toThrow(RangeError);
      expect(() => parseScriptArgs(options)).toThrow(/'--epoch'.*flags: --epochs, --no-peer$/);
    } finally {
      process.argv = saved;
    }
  });

  it('runScript turns a RangeError into one line and exit code 2, an expected error into 1, and rethrows the rest', async () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => { lines.push(s); return true; }) as typeof process.stderr.write;
    try {
      await runScript('bench:x', async () => { throw new RangeError('--epochs: expected a positive integer'); });
      expect(process.exitCode).toBe(2);
      class Missing extends Error {}
      await runScript('bench:x', async () => { throw new Missing('no data'); }, [Missing]);
      expect(process.exitCode).toBe(1);
      await expect(runScript('bench:x', async () => { throw new TypeError('bug'); })).rejects.toThrow('bug');
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toEqual(['bench:x: --epochs: expected a positive integer\n', 'bench:x: no data\n']);
  });
});
