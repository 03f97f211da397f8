// `npm run example`: the demo (services and gateway, as `npm start` runs them) and this example's
// page in front of it. The demo runs as a child process with a secret and a web key chosen here,
// so the page can be handed a token the gateway accepts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { startExampleServer } from './server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const secret = randomBytes(32).toString('base64url');
const apiKey = `example-web-${randomBytes(18).toString('base64url')}`;

const demo = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
  cwd: root,
  env: { ...process.env, JWT_SECRET: secret, DEMO_WEB_API_KEY: apiKey },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const stop = () => {
  demo.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// The demo prints its endpoint once it listens.
const gatewayUrl = await new Promise<string>((resolve, reject) => {
  let output = '';
  demo.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const found = /GraphQL endpoint: (http:\/\/\S+)\/graphql/.exec(output);
    if (found?.[1]) resolve(found[1]);
  });
  demo.once('exit', (code) => reject(new Error(`the demo exited (code ${code}) before it listened`)));
});

const token = await new SignJWT({ role: 'USER' })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('u2')
  .setIssuedAt()
  .setExpirationTime('24h')
  .sign(new TextEncoder().encode(secret));
const example = await startExampleServer({
  gatewayUrl,
  token,
  apiKey,
  port: Number(process.env.EXAMPLE_PORT ?? 5173),
});
process.stdout.write(`
Switchboard web dashboard example: ${example.url}
  (signed in as u2, with the web client's key; the gateway and its IDE: ${gatewayUrl}/graphql)
Press Ctrl+C to stop.
`);
