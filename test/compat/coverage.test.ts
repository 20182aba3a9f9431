/**
 * Each of the official package's tests is ported exactly once in this folder (named in an
 * `// official: '<name>'` comment), and the tally of passes and deliberate differences is the one
 * the README and CHANGELOG give.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { OFFICIAL_TESTS } from './official-exports';

const ported = readdirSync(import.meta.dirname)
  .filter((file) => file.endsWith('.test.ts'))
  .flatMap((file) => {
    const lines = readFileSync(path.join(import.meta.dirname, file), 'utf8').split('\n');
    return lines.flatMap((line, index) => {
      const match = /^(\s*)\/\/ official: '(.+?)'/.exec(line);
      if (match === null) return [];
      // The innermost describe around the comment: the nearest `describe(` above, indented less.
      const indent = match[1]!.length;
      const enclosing = lines
        .slice(0, index)
        .reverse()
        .find((above) => /^\s*describe\('/.test(above) && above.search(/\S/) < indent);
      return [{ name: match[2]!, deliberate: /describe\('deliberate difference: /.test(enclosing ?? '') }];
    });
  });

it('ports every official test exactly once, 25 as written and 3 as named deliberate differences', () => {
  expect(ported.map((test) => test.name).sort()).toEqual([...OFFICIAL_TESTS].sort());
  expect(ported.filter((test) => test.deliberate)).toHaveLength(3);
});
