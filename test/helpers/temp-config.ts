// A gateway config file written for one test file: the stack's config loader reads real YAML,
// so per-service timeouts and size limits are set the way an operator would set them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempConfig {
  /** The YAML file's path, for `startStack({ configFile })`. */
  file: string;
  /** Deletes the file and its directory. */
  remove(): Promise<void>;
}

/** Writes `yaml` to a fresh temporary directory. */
export async function writeTempConfig(yaml: string): Promise<TempConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-test-'));
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, yaml, 'utf8');
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The four services the contract requires. */
export const serviceNames = ['users', 'orders', 'notifications', 'products'] as const;
export type ServiceName = (typeof serviceNames)[number];

/**
 * An `upstreams:` block giving every service `settings`, merged with that service's entry of
 * `perService` (URLs still come from the environment), e.g. `upstreamsYaml({ retries: 0 })`.
 * With `{ inventory: true }` it also declares the demo inventory service, with the same settings.
 */
export function upstreamsYaml(
  settings: Record<string, unknown>,
  perService: Partial<Record<ServiceName | 'inventory', Record<string, unknown>>> = {},
  options: { inventory?: boolean } = {},
): string {
  // JSON is YAML flow style.
  const line = (service: ServiceName) => JSON.stringify({ ...settings, ...perService[service] });
  const inventory = options.inventory ? inventoryEntry({ ...settings, ...perService.inventory }) : '';
  return `upstreams:\n${serviceNames.map((s) => `  ${s}: ${line(s)}\n`).join('')}${inventory}`;
}

/**
 * An `upstreams:` block declaring only the demo inventory service (the contract's four keep
 * coming from the environment), e.g. for the partner client's `@rest` fields. Its URL is
 * `${INVENTORY_URL}`: start the stack with `{ inventory: true }` so that the variable is set.
 */
export function inventoryUpstreamYaml(settings: Record<string, unknown> = {}): string {
  return `upstreams:\n${inventoryEntry(settings)}`;
}

function inventoryEntry(settings: Record<string, unknown>): string {
  // Left for the config loader to replace, like an operator's file would.
  const url = `\${INVENTORY_URL}`;
  return `  inventory: ${JSON.stringify({ urls: [url], ...settings })}\n`;
}
