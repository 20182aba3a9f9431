/**
 * The one way an optional peer is loaded: OpenTelemetry for /otel, the build tools for the
 * package command. A peer that is not installed fails with one {@link MissingPeerError} naming
 * what needs it, each missing package and the install line; any other load error passes as it is.
 */
import { MissingPeerError } from './errors';

/** What needs a set of optional peers, and how to install them. */
export interface PeerSpec {
  /** What needs them, as the subject of the message: "applyTracing", "temporal-lambda-worker package". */
  purpose: string;
  /** The packages loaded. */
  packages: readonly string[];
  /** The `npm install` line that adds them. */
  install: string;
}

/** Whether `error` says a module could not be found (CommonJS `require` or ES `import`). */
export function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * What to throw when loading `spec`'s packages failed with `error`: a {@link MissingPeerError}
 * naming `missing` (those of them that cannot be found) when a module was not found, else `error`.
 */
export function peerLoadError(error: unknown, spec: PeerSpec, missing: readonly string[] = spec.packages): unknown {
  if (!isModuleNotFound(error)) return error;
  const names = missing.length > 0 ? missing.join(', ') : spec.packages.join(', ');
  const verb = missing.length === 1 ? 'is' : 'are';
  const reason = (error as Error).message.split('\n')[0];
  return new MissingPeerError(
    `${spec.purpose} needs ${names}, which ${verb} not installed (${reason}). Install: ${spec.install}`,
    {
      cause: error,
    },
  );
}

/** Runs `load` (a literal `import()` or `require`, so that bundlers see it); see {@link peerLoadError}. */
export async function loadPeer<T>(load: () => T | Promise<T>, spec: PeerSpec): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw peerLoadError(error, spec);
  }
}
