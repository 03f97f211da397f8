// Preloaded into the gateway (`node --import ./bench/exit-with-parent.ts src/cli.ts`): the gateway
// exits when the orchestrator is gone, so even a killed bench run leaves nothing listening.
// It changes nothing else about the gateway.
import { exitWithParent } from './dashboard.js';

exitWithParent();
