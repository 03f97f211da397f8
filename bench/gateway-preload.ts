// Preloaded into the gateway (`node --expose-gc --import ./bench/gateway-preload.ts src/cli.ts`);
// it changes nothing about how the gateway serves requests.
// - The gateway exits when the orchestrator is gone, so even a killed bench run leaves nothing
//   listening.
// - On SIGUSR2 it runs full garbage collections and writes one stderr line,
//   `HEAP {process.memoryUsage() as JSON}`: how the heap check reads G's live heap without an
//   endpoint in src/ or the inspector. (SIGUSR1 would start the inspector; SIGUSR2 is unused by
//   Node and by the gateway.)
import { exitWithParent } from './dashboard.js';

exitWithParent();

process.on('SIGUSR2', () => {
  if (typeof gc !== 'function') {
    process.stderr.write('HEAP {"error":"the gateway was not started with --expose-gc"}\n');
    return;
  }
  // Twice: the first collection can leave objects that only die once their finalisers have run.
  gc({ type: 'major', execution: 'sync' });
  gc({ type: 'major', execution: 'sync' });
  process.stderr.write(`HEAP ${JSON.stringify(process.memoryUsage())}\n`);
});
