// The emulator's ADOT mode: a function with the ADOT JavaScript Lambda layer attached. The layer's
// exec wrapper (/opt/otel-instrument) sets the OpenTelemetry defaults below and loads the AWS
// Distro for OpenTelemetry before the runtime client; here the distro comes from npm, pinned in
// adot/package.json, and adot/wrapper.mjs plays the wrapper's part. Traces go over OTLP to the
// endpoint the function's env gives (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: without it the distro
// sends them to the X-Ray daemon over UDP, as in Lambda).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'adot');
const DISTRO = '@aws/aws-distro-opentelemetry-node-autoinstrumentation';

/** Installs the distro (about 110 MB, half a minute) unless it is there. */
export function ensureAdotLayer({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (existsSync(path.join(dir, 'node_modules', DISTRO, 'package.json'))) return;
  log(`Installing ${DISTRO} for the emulator's ADOT mode (first run only)`);
  // `npm install` follows the lockfile as `npm ci` would, and skips an optional build the registry lacks.
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The environment the layer's exec wrapper gives the runtime of `fn` (Node 24: `--import`). */
export function adotLayerEnv(fn, logStream) {
  return {
    NODE_OPTIONS: `--import ${path.join(dir, 'wrapper.mjs')}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'aws-sdk,aws-lambda,http',
    OTEL_PROPAGATORS: 'baggage,tracecontext,xray',
    OTEL_SERVICE_NAME: fn.functionName,
    OTEL_RESOURCE_ATTRIBUTES: [
      `cloud.region=${fn.region}`,
      'cloud.provider=aws',
      'cloud.platform=aws_lambda',
      `faas.name=${fn.functionName}`,
      'faas.version=$LATEST',
      `faas.instance=${logStream}`,
    ].join(','),
    OTEL_AWS_APPLICATION_SIGNALS_ENABLED: 'true',
    OTEL_LOG_LEVEL: 'error',
  };
}
