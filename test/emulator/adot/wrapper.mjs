// The ADOT layer's wrapper as the emulator loads it with `--import` (the layer does so for Node 24
// and ES module handlers). The runtime client imports the handler, so import-in-the-middle's loader
// hook goes in first, in its message-channel mode (the instrumentations registered afterwards tell
// the hook which modules to wrap); then the distro's register module starts the OpenTelemetry SDK
// and its Lambda instrumentation, which wraps the handler when the runtime client imports it.
import { createRequire, register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';

const channel = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, channel.registerOptions);
createRequire(import.meta.url)('@aws/aws-distro-opentelemetry-node-autoinstrumentation/register');
await channel.waitForAllMessagesAcknowledged();
