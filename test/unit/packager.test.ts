/**
 * The packager on a small project whose handler loads only a stand-in for the core-bridge (traced
 * for real, not bundled): what `--include` adds from a folder, and the secrets it refuses to pack.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageFunction, PackageError, type PackageOptions } from '../../tools/packager';

const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'tlw-packager-')));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let projects = 0;

/** What the packager looks for in every handler: the core-bridge, with the binary of the target. */
const CORE_BRIDGE = {
  'node_modules/@temporalio/core-bridge/package.json': '{ "name": "@temporalio/core-bridge", "main": "index.js" }',
  'node_modules/@temporalio/core-bridge/index.js': 'module.exports = {};\n',
  'node_modules/@temporalio/core-bridge/releases/x86_64-unknown-linux-gnu/index.node': 'not a real binary',
};

/** A new project with a handler that loads the core-bridge, and `files`. */
function makeProject(files: Record<string, string> = {}): string {
  const dir = path.join(work, `project-${++projects}`);
  const manifest = '{ "name": "fixture", "type": "commonjs" }';
  const handler = "require('@temporalio/core-bridge');\n";
  for (const [file, text] of Object.entries({
    'package.json': manifest,
    'handler.js': handler,
    ...CORE_BRIDGE,
    ...files,
  })) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function pack(projectDir: string, options: Partial<PackageOptions> = {}) {
  const outFile = path.join(projectDir, '..', `${path.basename(projectDir)}.zip`);
  return packageFunction({
    projectDir,
    handler: 'handler.handler',
    arch: 'x86_64',
    outFile,
    bundle: false,
    ...options,
  });
}

function zipEntries(zip: string): string[] {
  return execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
}

describe('packageFunction --include', () => {
  it('adds every file under an included folder, at its path in the project, whatever its kind', async () => {
    const project = makeProject({
      'static/a.txt': 'a',
      'static/.hidden': 'hidden',
      'static/deeper/b.json': '{}',
      'static/deeper/types.d.ts': 'export {};',
      'static/deeper/source.ts': 'export const x = 1;',
      'static/deeper/page.js.map': '{}',
      'static/plugin.js': "module.exports = require('./deeper/b.json');\n",
      'config/single.txt': 'one file',
    });
    const report = await pack(project, { include: ['static', 'config/single.txt'] });
    const entries = zipEntries(report.outFile);
    for (const file of [
      'a.txt',
      '.hidden',
      'deeper/b.json',
      'deeper/types.d.ts',
      'deeper/source.ts',
      'deeper/page.js.map',
      'plugin.js',
    ]) {
      expect(entries).toContain(`static/${file}`);
    }
    expect(entries).toContain('config/single.txt');
    expect(report.skipped).toEqual([]);
  });

  it('follows links inside an included folder, and names what it skips and why', async () => {
    const project = makeProject({ 'static/real/file.txt': 'real', 'outside/linked.txt': 'linked' });
    symlinkSync(path.join(project, 'outside', 'linked.txt'), path.join(project, 'static', 'link-to-file.txt'));
    symlinkSync(path.join(project, 'outside'), path.join(project, 'static', 'link-to-folder'), 'dir');
    symlinkSync(path.join(project, 'static'), path.join(project, 'static', 'real', 'loop'), 'dir');
    symlinkSync(path.join(project, 'not-there.txt'), path.join(project, 'static', 'dangling.txt'));
    execFileSync('mkfifo', [path.join(project, 'static', 'pipe')]);
    const report = await pack(project, { include: ['static/'] });
    const entries = zipEntries(report.outFile);
    expect(entries).toEqual(
      expect.arrayContaining(['static/real/file.txt', 'static/link-to-file.txt', 'static/link-to-folder/linked.txt']),
    );
    expect(execFileSync('unzip', ['-p', report.outFile, 'static/link-to-file.txt'], { encoding: 'utf8' })).toBe(
      'linked',
    );
    expect(report.skipped).toEqual([
      { file: 'static/dangling.txt', reason: expect.stringMatching(/link to nothing/) },
      { file: 'static/pipe', reason: expect.stringMatching(/not a regular file/) },
      { file: 'static/real/loop', reason: expect.stringMatching(/link to a folder .*already included/) },
    ]);
  });

  it('refuses an included file that has no place in the zip, instead of leaving it out', async () => {
    const outside = path.join(work, 'outside.txt');
    writeFileSync(outside, 'outside');
    await expect(pack(makeProject(), { include: [outside] })).rejects.toThrow(
      /--include .*outside\.txt: outside the project folder/,
    );
  });
});

describe('packageFunction --include with the bundle', () => {
  it('keeps an included file whose code the bundle also holds', async () => {
    const project = makeProject({
      'handler.js': "require('@temporalio/core-bridge');\nexports.handler = require('./lib/helper.js');\n",
      'lib/helper.js': 'module.exports = () => 1;\n',
    });
    const report = await pack(project, { include: ['lib'], bundle: true });
    expect(report.bundle).toBeDefined();
    expect(zipEntries(report.outFile)).toContain('lib/helper.js');
  });
});

describe('packageFunction and API keys in temporal.toml', () => {
  const KEY = 'tlw-test-api-key-value-0123456789';
  const toml = (profiles: Record<string, Record<string, string>>) =>
    Object.entries(profiles)
      .map(
        ([name, fields]) =>
          `[profile.${name}]\n${Object.entries(fields)
            .map(([k, v]) => `${k} = "${v}"`)
            .join('\n')}\n`,
      )
      .join('\n');

  async function refusal(projectDir: string, options: Partial<PackageOptions> = {}): Promise<PackageError> {
    const error = await pack(projectDir, options).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(PackageError);
    return error as PackageError;
  }

  it('refuses a temporal.toml whose profiles set api_key, naming file, profiles and fix, never the key', async () => {
    const project = makeProject({
      'temporal.toml': toml({
        default: { address: 'localhost:7233' },
        prod: { api_key: KEY },
        'eu-west': { api_key: `${KEY}-2` },
      }),
    });
    const error = await refusal(project);
    expect(error.message).toMatch(/temporal\.toml/);
    expect(error.message).toMatch(/'prod'/);
    expect(error.message).toMatch(/'eu-west'/);
    expect(error.message).not.toMatch(/'default'/);
    expect(error.message).toMatch(/TEMPORAL_API_KEY/);
    expect(error.message).toMatch(/Secrets Manager/);
    expect(error.message).not.toContain(KEY);
  });

  it('is not allowed by --allow-private-keys', async () => {
    const project = makeProject({ 'temporal.toml': toml({ default: { api_key: KEY } }) });
    const error = await refusal(project, { allowPrivateKeys: true });
    expect(error.message).toMatch(/--allow-private-keys does not/);
    expect(error.message).not.toContain(KEY);
  });

  it('refuses an included config file that sets api_key, and one it cannot read as TOML that mentions it', async () => {
    const included = makeProject({ 'config/prod.toml': toml({ prod: { api_key: KEY } }) });
    const includedError = await refusal(included, { include: ['config'] });
    expect(includedError.message).toMatch(/config\/prod\.toml.*'prod'/);
    expect(includedError.message).not.toContain(KEY);
    const broken = makeProject({ 'temporal.toml': `[profile.default\napi_key = "${KEY}"\n` });
    const brokenError = await refusal(broken);
    expect(brokenError.message).toMatch(/temporal\.toml.*api_key/);
    expect(brokenError.message).not.toContain(KEY);
  });

  it('packs a temporal.toml without an API key', async () => {
    const project = makeProject({
      'temporal.toml': toml({ default: { address: 'localhost:7233', namespace: 'default' } }),
    });
    const report = await pack(project);
    expect(zipEntries(report.outFile)).toContain('temporal.toml');
  });
});
