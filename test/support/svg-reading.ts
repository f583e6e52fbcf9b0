import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';

/** Asserts `svg` is well-formed XML with an <svg> root in the SVG namespace. */
export function expectWellFormedSvg(svg: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg?: Record<string, unknown> };
  expect(doc.svg?.['@_xmlns']).toBe('http://www.w3.org/2000/svg');
}

/** The values of `attribute` on the elements of `tag` with class `cls`, in document order. */
export function attributeOf(svg: string, tag: string, cls: string, attribute: string): string[] {
  const re = new RegExp(`<${tag} class="${cls}"[^>]*?\\s${attribute}="([^"]*)"`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1].replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))));
}
