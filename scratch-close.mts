import { startStack, tokenFor } from './test/helpers/stack.js';

const s = await startStack();
const a = await s.graphql('{ dashboard { user { id } } }', { token: await tokenFor('u1') });
console.log(a.status);
let t = performance.now();
await s.gateway.close();
console.log('gateway closed', performance.now() - t);
t = performance.now();
await s.services.close();
console.log('services closed', performance.now() - t);
