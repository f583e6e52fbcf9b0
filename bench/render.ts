/**
 * Re-draws a suite record's Markdown table and SVG plot from its JSON (bench/results/*.json),
 * e.g. after a change to the writers:  node dist/bench/render.js bench/results/<file>.json ...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { suiteMarkdown } from './markdown.js';
import type { SuiteResult } from './results.js';
import { suiteSvg } from './svg.js';

for (const file of process.argv.slice(2)) {
  if (!file.endsWith('.json')) throw new RangeError(`expected a suite record ending in .json, received '${file}'`);
  const result = JSON.parse(readFileSync(file, 'utf8')) as SuiteResult;
  const base = file.slice(0, -'.json'.length);
  writeFileSync(`${base}.md`, suiteMarkdown(result));
  writeFileSync(`${base}.svg`, suiteSvg(result));
  console.log(`Wrote ${base}.md and ${base}.svg`);
}
