/**
 * The packager's bundling step on a small project: the bundle, written where the handler was in
 * a copy of the project, runs with each module's own `__dirname`/`__filename`, resolves files by
 * `require.resolve` from its new place, and hands protobufjs-style schemas over as JSON.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleHandler } from '../../tools/bundle';

const work = mkdtempSync(path.join(tmpdir(), 'tlw-bundle-'));
const project = path.join(work, 'project');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
  writeFileSync(path.join(project, file), text);
}

write('package.json', '{ "name": "bundle-fixture", "type": "commonjs" }');
write(
  'lib/handler.js',
  `'use strict';
const located = require('./deep/located.js');
const schema = require('./deep/schema.js');
exports.report = () => ({ handlerDir: __dirname, located, schema, asset: require('fs').readFileSync(require.resolve('./asset.txt'), 'utf8') });
`,
);
write('lib/asset.txt', 'next to the handler');
write(
  'lib/deep/located.js',
  `"use strict";
const fs = require('fs');
const path = require('path');
class LocatedThing {}
module.exports = { name: LocatedThing.name, dir: __dirname, file: __filename, data: fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8'), resolved: require.resolve('./data.txt') };
`,
);
write('lib/deep/data.txt', 'next to the deep module');
write(
  'lib/deep/schema.js',
  `const root = { added: [], addJSON(json) { this.added.push(json); return this; } };
module.exports = root.addJSON({
  "nested": { "Braces": { "comment": "a } and a { and a \\" inside", "id": 1 } }
});
`,
);

describe('bundleHandler', () => {
  it('runs from the handler’s place with each module’s own location, and passes schemas as JSON', async () => {
    const entry = path.join(project, 'lib', 'handler.js');
    const zipPathOf = (file: string) => path.relative(project, file).split(path.sep).join('/');
    const bundled = await bundleHandler({
      entry,
      zipPathOf,
      virtualModules: new Map(),
      redirects: new Map(),
      sourceMap: false,
    });

    expect([...bundled.inputs].map(zipPathOf).sort()).toEqual([
      'lib/deep/located.js',
      'lib/deep/schema.js',
      'lib/handler.js',
    ]);
    expect([...bundled.resolvedAtRunTime].map(zipPathOf).sort()).toEqual(['lib/asset.txt', 'lib/deep/data.txt']);
    expect(bundled.code).toContain('addJSON(JSON.parse(');

    // The "zip": the project's files elsewhere, the bundle in the handler's place, the bundled modules gone.
    const task = path.join(work, 'task');
    cpSync(project, task, { recursive: true });
    for (const file of ['lib/deep/located.js', 'lib/deep/schema.js']) rmSync(path.join(task, file));
    writeFileSync(path.join(task, 'lib', 'handler.js'), bundled.code);
    const report = createRequire(__filename)(path.join(task, 'lib', 'handler.js')).report();

    expect(report.handlerDir).toBe(path.join(task, 'lib'));
    expect(report.asset).toBe('next to the handler');
    expect(report.located).toEqual({
      name: 'LocatedThing',
      dir: path.join(task, 'lib', 'deep'),
      file: path.join(task, 'lib', 'deep', 'located.js'),
      data: 'next to the deep module',
      resolved: path.join(task, 'lib', 'deep', 'data.txt'),
    });
    expect(report.schema.added).toEqual([{ nested: { Braces: { comment: 'a } and a { and a " inside', id: 1 } } }]);
  });

  it('writes a source map that names the original files when asked', async () => {
    const entry = path.join(project, 'lib', 'handler.js');
    const bundled = await bundleHandler({
      entry,
      zipPathOf: (file) => path.relative(project, file),
      virtualModules: new Map(),
      redirects: new Map(),
      sourceMap: true,
    });
    expect(bundled.code.trimEnd().endsWith('//# sourceMappingURL=handler.js.map')).toBe(true);
    const map = JSON.parse(bundled.map!) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources).toEqual(expect.arrayContaining(['deep/located.js', 'deep/schema.js', 'handler.js']));
    expect(map.sourcesContent).toBeUndefined();
  });

  it('names the file and line when esbuild cannot bundle', async () => {
    write('lib/broken.js', "const missing = require('./not-there.js');\n");
    const entry = path.join(project, 'lib', 'broken.js');
    await expect(
      bundleHandler({
        entry,
        zipPathOf: (file) => file,
        virtualModules: new Map(),
        redirects: new Map(),
        sourceMap: false,
      }),
    ).rejects.toThrow(/broken\.js:1: Could not resolve "\.\/not-there\.js"/);
  });
});
