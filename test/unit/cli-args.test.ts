/** The command lines of `invoke` and `package`, parsed strictly. */
import { describe, expect, it } from 'vitest';
import { parseInvokeArgs, parsePackageArgs, UsageError } from '../../tools/cli-args';

function usageError(parse: () => unknown): UsageError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseInvokeArgs', () => {
  it('keeps everything after the first = of a value, inline or as the next argument', () => {
    expect(parseInvokeArgs(['lib/index.js', '--event={"a":"b=c","d":"=="}']).event).toBe('{"a":"b=c","d":"=="}');
    expect(parseInvokeArgs(['--event', '{"a":"b=c"}', 'lib/index.js'])).toEqual({
      help: false,
      handlerModule: 'lib/index.js',
      event: '{"a":"b=c"}',
      timeout: undefined,
      functionName: undefined,
    });
    expect(parseInvokeArgs(['h.js#run', '--timeout=30', '--function-name=fn=1'])).toMatchObject({
      timeout: '30',
      functionName: 'fn=1',
    });
  });

  it('refuses an unknown option, naming it and the known ones', () => {
    const error = usageError(() => parseInvokeArgs(['lib/index.js', '--timeuot', '30', '--arch=arm64']));
    expect(error.message).toMatch(/Unknown option '--timeuot', '--arch' for `temporal-lambda-worker invoke`/);
    expect(error.message).toMatch(
      /Known options of invoke: --timeout VALUE, --event VALUE, --function-name VALUE, --help \(-h\)/,
    );
  });

  it('refuses a missing value and anything but one handler module', () => {
    expect(usageError(() => parseInvokeArgs(['lib/index.js', '--event'])).message).toMatch(/--event.*argument missing/);
    expect(usageError(() => parseInvokeArgs([])).message).toMatch(/Name one handler module; received none/);
    expect(usageError(() => parseInvokeArgs(['a.js', 'b.js'])).message).toMatch(/received 'a\.js', 'b\.js'/);
  });

  it('reads --help and -h without a handler module', () => {
    expect(parseInvokeArgs(['--help']).help).toBe(true);
    expect(parseInvokeArgs(['-h']).help).toBe(true);
  });
});

describe('parsePackageArgs', () => {
  it('collects every --include in order, in both forms, with the other options', () => {
    const args = [
      ...['--include', 'static', '--include=config/a=b.toml', '--no-bundle', '--arch=arm64', '--out', 'f.zip'],
      ...['--code-cache', '--memory', '512', '--node=/opt/node22/bin/node'],
    ];
    expect(parsePackageArgs(args)).toEqual({
      help: false,
      project: undefined,
      handler: undefined,
      arch: 'arm64',
      out: 'f.zip',
      include: ['static', 'config/a=b.toml'],
      keepBundler: false,
      noBundle: true,
      sourceMap: false,
      codeCache: true,
      memoryMb: 512,
      node: '/opt/node22/bin/node',
      allowPrivateKeys: false,
    });
    expect(parsePackageArgs([])).toMatchObject({
      include: [],
      noBundle: false,
      codeCache: false,
      allowPrivateKeys: false,
    });
  });

  it("refuses --code-cache without the function's memory size, naming the fix", () => {
    for (const memory of [[], ['--memory', '100'], ['--memory=1.5'], ['--memory', 'lots']]) {
      const error = usageError(() => parsePackageArgs(['--code-cache', ...memory]));
      expect(error.message).toMatch(/^--code-cache needs --memory MB, the function's MemorySize \(128-10240\)/);
      expect(error.message).toContain(memory.length === 0 ? 'received none.' : `received '`);
    }
    expect(parsePackageArgs(['--memory', 'ignored without --code-cache']).memoryMb).toBeUndefined();
    expect(parsePackageArgs(['--code-cache', '--memory', '10240']).memoryMb).toBe(10_240);
  });

  it('refuses an unknown option, naming the known ones', () => {
    const error = usageError(() => parsePackageArgs(['--keep-bundle']));
    expect(error.message).toMatch(/Unknown option '--keep-bundle' for `temporal-lambda-worker package`/);
    expect(error.message).toContain('--include VALUE (repeatable)');
    expect(error.message).toContain(
      '--keep-bundler, --no-bundle, --source-map, --code-cache, --memory VALUE, --node VALUE, --allow-private-keys',
    );
  });

  it('refuses a positional argument and a value given to a switch', () => {
    expect(usageError(() => parsePackageArgs(['lib/index.handler'])).message).toMatch(
      /Unexpected argument 'lib\/index\.handler'/,
    );
    expect(usageError(() => parsePackageArgs(['--no-bundle=false'])).message).toMatch(
      /'--no-bundle' does not take an argument/,
    );
  });

  it('reads --help and -h', () => {
    expect(parsePackageArgs(['--help']).help).toBe(true);
    expect(parsePackageArgs(['-h', '--project', 'x']).help).toBe(true);
  });
});
