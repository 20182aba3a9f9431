/**
 * Loading an optional peer (Powertools' logger or metrics) only when it is used, through a dynamic
 * `import()` that works from the ESM and the CJS build alike.
 */
import { InvalidOptionError } from './errors';

/** Whether `error` says a module could not be found (CommonJS `require` or ES `import`). */
export function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * Imports `moduleName`.
 * @param otherwise - what the user can do instead of installing it, for the error message.
 * @throws {@link InvalidOptionError} naming the package and its `npm install` line when it cannot load.
 */
export async function importOptional<T>(moduleName: string, otherwise: string): Promise<T> {
  try {
    return (await import(moduleName)) as T;
  } catch (error) {
    throw new InvalidOptionError(`Cannot load ${moduleName}: ${(error as Error).message}. Install it (npm install ${moduleName}) or ${otherwise}.`, { cause: error });
  }
}
