/**
 * The build tools of the package command (esbuild, @vercel/nft, yazl) are optional peers: a
 * function's production install (`npm install --omit=dev`) never carries them into its Lambda
 * package. They are loaded here, when the command needs them, with one error naming them all and
 * the install line when one is missing.
 */
import { loadPeer } from '../src/optional-peer';

/** The build tools and the versions this release is tested with. */
export const BUILD_TOOLS = { esbuild: '0.27.7', '@vercel/nft': '1.11.5', yazl: '3.3.1' } as const;

/** `npm install --save-dev` of every build tool, at the tested versions. */
export const BUILD_TOOLS_INSTALL = `npm install --save-dev ${Object.entries(BUILD_TOOLS)
  .map(([name, version]) => `${name}@${version}`)
  .join(' ')}`;

/**
 * Loads one build tool through `load` (a literal dynamic import). The build tools are optional
 * peers so that a function's production dependencies stay free of them: they are dev dependencies.
 * @throws {@link MissingPeerError} with the install line of the build tools when one is missing.
 */
export function loadBuildTool<T>(name: keyof typeof BUILD_TOOLS, load: () => Promise<T>): Promise<T> {
  return loadPeer(load, {
    purpose: 'temporal-lambda-worker package (the build side)',
    packages: [name],
    install: BUILD_TOOLS_INSTALL,
  });
}
