/** The path of `key` under `parent` ("" is the root): `server.port`. */
export const keyPath = (parent: string, key: string): string => (parent === '' ? key : `${parent}.${key}`);

/** The path of list entry `index` under `parent`: `auth.apiKeys[1]`. */
export const itemPath = (parent: string, index: number): string => `${parent}[${index}]`;

/** True for a YAML mapping (a plain object), false for lists, scalars and null. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON pointer (`/auth/apiKeys/0/key`, Ajv's instancePath) as the config's own path
 * (`auth.apiKeys[0].key`): a segment is an index where the data at that point is a list.
 */
export function pathOf(pointer: string, root: unknown, extra?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
  if (extra !== undefined) segments.push(extra);
  let path = '';
  let node: unknown = root;
  for (const segment of segments) {
    path = Array.isArray(node) ? itemPath(path, Number(segment)) : keyPath(path, segment);
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return path;
}

const unescapePointer = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

/** `user:password@` in any URL in a message is shown as `user:***@`: credentials are never echoed. */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/[^/@\s:]*:)[^/@\s]*@/g, '$1***@');
}
