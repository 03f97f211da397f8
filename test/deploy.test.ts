// deploy/: there is no Docker engine or cluster here, so the manifests are rendered (kustomize)
// and held to the invariants a drain-safe rollout needs, the Dockerfile is read stage by stage,
// and the image's exact start command is run against the demo services.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { repoRoot } from './helpers/cli.js';
import { gatewayEnv } from './helpers/stack.js';

const run = promisify(execFile);
type Resource = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked by path, as YAML
  [key: string]: any;
};

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((path) => existsSync(path));

/** The manifests as the cluster would get them: `kubectl kustomize`, else the files as listed. */
async function render(dir: string): Promise<Resource[]> {
  if (kubectl) {
    const { stdout } = await run(kubectl, ['kustomize', join(repoRoot, dir)]);
    return parseAllDocuments(stdout).map((doc) => doc.toJS() as Resource);
  }
  // Without kubectl (a CI image may lack it): the base's own files, the ConfigMap from its file.
  const base = join(repoRoot, 'deploy/k8s/base');
  const kustomization = parseYaml(readFileSync(join(base, 'kustomization.yaml'), 'utf8'));
  const resources = (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(join(base, file), 'utf8')).map((doc) => doc.toJS() as Resource),
  );
  resources.push({
    kind: 'ConfigMap',
    metadata: { name: 'switchboard-config' },
    data: { 'gateway.yaml': readFileSync(join(base, 'gateway.yaml'), 'utf8') },
  });
  return dir.includes('external-redis')
    ? resources.filter((r) => !r.metadata.name.includes('redis'))
    : resources;
}

const find = (resources: Resource[], kind: string, name?: string) =>
  resources.find((r) => r.kind === kind && (name === undefined || r.metadata.name === name));

describe('Kubernetes manifests (deploy/k8s)', () => {
  let base: Resource[];
  beforeAll(async () => {
    base = await render('deploy/k8s/base');
  });

  it('has a Deployment, Service, HPA, PDB, ConfigMap, Secret and Redis', () => {
    expect(base.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual(
      expect.arrayContaining([
        'Deployment/switchboard',
        'Service/switchboard',
        'HorizontalPodAutoscaler/switchboard',
        'PodDisruptionBudget/switchboard',
        'Secret/switchboard-secrets',
        'Deployment/switchboard-redis',
        'Service/switchboard-redis',
      ]),
    );
    expect(base.some((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('switchboard-config'))).toBe(
      true,
    );
  });

  it('probes /ready for readiness and /health for liveness', () => {
    const container = find(base, 'Deployment', 'switchboard')!.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    const port = container.ports.find(
      (p: { name: string }) => p.name === container.readinessProbe.httpGet.port,
    );
    expect(port.containerPort).toBe(4000);
  });

  it('gives the drain time: preStop pause + server.shutdownGraceMs < terminationGracePeriodSeconds', () => {
    const pod = find(base, 'Deployment', 'switchboard')!.spec.template.spec;
    const container = pod.containers[0];
    const pauseSeconds = container.lifecycle.preStop.sleep?.seconds ?? 0;
    expect(pauseSeconds).toBeGreaterThan(0);
    const configMap = base.find(
      (r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('switchboard-config'),
    )!;
    const secret = find(base, 'Secret', 'switchboard-secrets')!;
    // The gateway's own loader reads the ConfigMap's file with the Secret as its environment.
    const dir = join(repoRoot, 'deploy/k8s/base');
    const { config } = loadConfig({ file: join(dir, 'gateway.yaml'), env: secret.stringData });
    expect(parseYaml(configMap.data['gateway.yaml'])).toEqual(
      parseYaml(readFileSync(join(dir, 'gateway.yaml'), 'utf8')),
    );
    expect(pauseSeconds * 1000 + config.server.shutdownGraceMs).toBeLessThan(
      pod.terminationGracePeriodSeconds * 1000,
    );
    expect(config.redis.url).toBe('redis://switchboard-redis:6379');
  });

  it('runs as non-root with requests and limits, and reads its config where the ConfigMap is mounted', () => {
    const pod = find(base, 'Deployment', 'switchboard')!.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    for (const kind of ['requests', 'limits']) {
      expect(container.resources[kind].cpu).toBeDefined();
      expect(container.resources[kind].memory).toBeDefined();
    }
    // The pod runs the image's own command: no command or args of its own.
    expect(container.command).toBeUndefined();
    expect(container.args).toBeUndefined();
    const configFile = startCommand().at(-1)!;
    const mount = container.volumeMounts.find((m: { mountPath: string }) =>
      configFile.startsWith(`${m.mountPath}/`),
    );
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    expect(volume.configMap.name).toMatch(/^switchboard-config/);
    expect(container.envFrom[0].secretRef.name).toBe('switchboard-secrets');
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'NODE_ENV', value: 'production' }]));
  });

  it('points the Service, HPA and PDB at the Deployment’s pods, with at least 2 replicas', () => {
    const deployment = find(base, 'Deployment', 'switchboard')!;
    const podLabels = deployment.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(matches(find(base, 'Service', 'switchboard')!.spec.selector)).toBe(true);
    expect(matches(find(base, 'PodDisruptionBudget')!.spec.selector.matchLabels)).toBe(true);
    const hpa = find(base, 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'switchboard' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    // The HPA owns the count: a fixed one in the Deployment would reset it on every apply.
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(
      podLabels,
    );
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('leaves Redis out in the external-redis overlay', async () => {
    const overlay = await render('deploy/k8s/overlays/external-redis');
    expect(overlay.some((r) => r.metadata.name === 'switchboard-redis')).toBe(false);
    expect(find(overlay, 'Deployment', 'switchboard')).toBeDefined();
  });
});

/** The Dockerfile's instructions, stage by stage. */
function dockerStages(): { from: string; lines: string[] }[] {
  const text = readFileSync(join(repoRoot, 'deploy/Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: { from: string; lines: string[] }[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    if (/^FROM /i.test(line)) stages.push({ from: line, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('Dockerfile (deploy/Dockerfile)', () => {
  const stages = dockerStages();
  const final = stages.at(-1)!;
  const instruction = (name: string) =>
    final.lines.filter((line) => line.toUpperCase().startsWith(`${name} `));

  it('builds in one stage and runs from a slim one with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]!.lines.join('\n')).toMatch(/npm ci/);
    expect(stages[0]!.lines.join('\n')).toMatch(/npm run build/);
    expect(stages[0]!.lines.join('\n')).toMatch(/npm prune --omit=dev/);
    expect(final.from).toMatch(/node:24[-\w.]*slim|alpine/);
    expect(instruction('RUN')).toEqual([]); // nothing compiled or installed in the final image
  });

  it('copies only what exists in the repository or what the build stage makes', () => {
    const made = new Set(['dist', 'node_modules']);
    for (const line of instruction('COPY')) {
      const parts = line.split(/\s+/).filter((part) => !part.startsWith('--'));
      const source = parts[1]!.replace(/^\/app\//, '').replace(/^\.\//, '');
      if (made.has(source)) continue;
      expect(existsSync(join(repoRoot, source)), line).toBe(true);
    }
  });

  it('runs as a non-root user with NODE_ENV=production and a health check on /health', () => {
    const user = instruction('USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER\s+(root|0)\b/);
    expect(instruction('ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(instruction('HEALTHCHECK').join(' ')).toMatch(/\/health/);
  });

  it('starts the compiled CLI with a config file', () => {
    expect(startCommand()).toEqual(['node', 'dist/cli.js', '--config', '/etc/switchboard/gateway.yaml']);
  });
});

/** ENTRYPOINT + CMD of the final stage, as exec arrays. */
function startCommand(): string[] {
  const final = dockerStages().at(-1)!;
  const json = (name: string) => {
    const line = final.lines.find((l) => l.toUpperCase().startsWith(`${name} `));
    return line ? (JSON.parse(line.slice(name.length + 1)) as string[]) : [];
  };
  return [...json('ENTRYPOINT'), ...json('CMD')];
}

describe('the image’s start command', () => {
  let services: DemoServices;
  beforeAll(async () => {
    services = await startDemoServices();
    // What the image's build stage does: the compiled CLI is what runs, not the TypeScript.
    await run('npm', ['run', 'build'], { cwd: repoRoot });
  }, 120_000);
  afterAll(() => services?.close());

  it('serves, with the production config and NODE_ENV=production, and drains on SIGTERM with exit 0', async () => {
    const [node, ...args] = startCommand();
    // The same command, with the image's config file at its place in the repository.
    args[args.indexOf('/etc/switchboard/gateway.yaml')] = 'deploy/k8s/base/gateway.yaml';
    const child = spawn(node === 'node' ? process.execPath : node!, args, {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        ...gatewayEnv(services),
        NODE_ENV: 'production',
        REDIS_URL: inject('redisUrl'),
        WEB_API_KEY: 'deploy-test-web-key-0123456789',
        MOBILE_API_KEY: 'deploy-test-mobile-key-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!url) {
        const line = out.split('\n').find((l) => l.includes('"switchboard is ready"'));
        if (line) url = new URL((JSON.parse(line) as { url: string }).url).origin;
        else if (Date.now() > deadline) throw new Error(`not ready:\n${out}`);
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      const answer = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'deploy-test-web-key-0123456789' },
        body: JSON.stringify({ query: '{ products(ids: ["p1"]) { id } }' }),
      });
      expect(await answer.json()).toEqual({ data: { products: [{ id: 'p1' }] } });
      // Production serves no IDE.
      expect(
        (await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } })).headers.get('content-type'),
      ).not.toMatch(/text\/html/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
