/**
 * The command line of each `temporal-lambda-worker` subcommand, parsed by `node:util` `parseArgs`
 * in strict mode: an unknown option or a missing value is an error that names the known options;
 * a value keeps everything after the first `=` (`--event={"a":"b=c"}`).
 */
import { parseArgs } from 'node:util';
import { LambdaWorkerError } from '../src/errors';

/** The command line cannot be run as given; the message says why and what is known. */
export class UsageError extends LambdaWorkerError {
  static override readonly errorName = 'UsageError';
}

type OptionTable = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const HELP = { type: 'boolean', short: 'h' } as const;

/** `invoke <handler-module>[#export]` */
export const INVOKE_OPTIONS = {
  timeout: { type: 'string' },
  event: { type: 'string' },
  'function-name': { type: 'string' },
  help: HELP,
} as const satisfies OptionTable;

/** `package` */
export const PACKAGE_OPTIONS = {
  project: { type: 'string' },
  handler: { type: 'string' },
  arch: { type: 'string' },
  out: { type: 'string' },
  include: { type: 'string', multiple: true },
  'keep-bundler': { type: 'boolean' },
  'no-bundle': { type: 'boolean' },
  'source-map': { type: 'boolean' },
  'code-cache': { type: 'boolean' },
  memory: { type: 'string' },
  node: { type: 'string' },
  'allow-private-keys': { type: 'boolean' },
  help: HELP,
} as const satisfies OptionTable;

export interface InvokeArgs {
  help: boolean;
  /** The one positional argument: `<handler-module>[#export]`. */
  handlerModule?: string;
  timeout?: string;
  event?: string;
  functionName?: string;
}

export interface PackageArgs {
  help: boolean;
  project?: string;
  handler?: string;
  arch?: string;
  out?: string;
  /** Every `--include`, in order. */
  include: string[];
  keepBundler: boolean;
  noBundle: boolean;
  sourceMap: boolean;
  codeCache: boolean;
  /** `--memory`, checked when `--code-cache` is given. */
  memoryMb?: number;
  node?: string;
  allowPrivateKeys: boolean;
}

/** @throws {@link UsageError} on an unknown option, a missing value, or not exactly one handler module. */
export function parseInvokeArgs(args: string[]): InvokeArgs {
  const { values, positionals } = parseStrict('invoke', INVOKE_OPTIONS, args, true);
  const help = values.help === true;
  if (!help && positionals.length !== 1) {
    const received = positionals.length === 0 ? 'none' : positionals.map((arg) => `'${arg}'`).join(', ');
    throw new UsageError(`Name one handler module; received ${received}.`);
  }
  const { timeout, event } = values;
  return { help, handlerModule: positionals[0], timeout, event, functionName: values['function-name'] };
}

/** @throws {@link UsageError} on an unknown option, a missing value, or a positional argument. */
export function parsePackageArgs(args: string[]): PackageArgs {
  const { values } = parseStrict('package', PACKAGE_OPTIONS, args, false);
  return {
    help: values.help === true,
    project: values.project,
    handler: values.handler,
    arch: values.arch,
    out: values.out,
    include: values.include ?? [],
    keepBundler: values['keep-bundler'] === true,
    noBundle: values['no-bundle'] === true,
    sourceMap: values['source-map'] === true,
    codeCache: values['code-cache'] === true,
    memoryMb: values['code-cache'] === true ? memoryMbOf(values.memory) : undefined,
    node: values.node,
    allowPrivateKeys: values['allow-private-keys'] === true,
  };
}

/** Lambda's memory sizes: 128 to 10,240 MB. */
function memoryMbOf(memory: string | undefined): number {
  const memoryMb = Number(memory);
  if (memory !== undefined && Number.isInteger(memoryMb) && memoryMb >= 128 && memoryMb <= 10_240) return memoryMb;
  throw new UsageError(
    `--code-cache needs --memory MB, the function's MemorySize (128-10240): V8 uses the cache only under the heap ` +
      `flags Lambda derives from it; received ${memory === undefined ? 'none' : `'${memory}'`}.`,
  );
}

function parseStrict<T extends OptionTable>(command: string, options: T, args: string[], allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const message =
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `Unknown option ${unknownOptions(options, args).join(', ')} for \`temporal-lambda-worker ${command}\`.`
        : (error as Error).message.replace(/\.?$/, '.');
    throw new UsageError(`${message} Known options of ${command}: ${knownOptions(options)}.`, { cause: error });
  }
}

/** The options in `args` that `options` does not define, as written (`'--bogus'`). */
function unknownOptions(options: OptionTable, args: string[]): string[] {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const isUnknown = (token: (typeof tokens)[number]) => token.kind === 'option' && !Object.hasOwn(options, token.name);
  const unknown = tokens.flatMap((token) =>
    token.kind === 'option' && isUnknown(token) ? [`'${token.rawName}'`] : [],
  );
  return [...new Set(unknown)];
}

function knownOptions(options: OptionTable): string {
  const describe = ([name, option]: [string, OptionTable[string]]) =>
    `--${name}${option.type === 'string' ? ' VALUE' : ''}${option.short ? ` (-${option.short})` : ''}` +
    (option.multiple ? ' (repeatable)' : '');
  return Object.entries(options).map(describe).join(', ');
}
