/** What the gateway tells the page (src/ide/page.ts writes it into the page as JSON). */
export interface IdeSettings {
  /** Path of the GraphQL endpoint, e.g. `/graphql`. */
  endpoint: string;
  /** The client whose schema variant the page opened on (`?client=`); absent for the base schema. */
  client?: string;
  /** The operation the editor opens with (`server.sandboxDefaults.query`). */
  query?: string;
  /** The headers pane's first contents (`server.sandboxDefaults.headers`, minus a key of another client). */
  headers: Record<string, string>;
  /** True when a default `x-api-key` was left out because it names another client than `client`. */
  keyLeftOut: boolean;
}

/** Reads the settings block the gateway put in the page. */
export function readSettings(): IdeSettings {
  const block = document.getElementById('ide-settings');
  const parsed = JSON.parse(block?.textContent ?? '{}') as Partial<IdeSettings>;
  return {
    endpoint: parsed.endpoint ?? '/graphql',
    client: parsed.client,
    query: parsed.query,
    headers: parsed.headers ?? {},
    keyLeftOut: parsed.keyLeftOut === true,
  };
}

/**
 * The headers pane's text (JSON with comments, which GraphiQL accepts): the defaults, plus
 * the header that names the page's client, so every request (introspection included) runs
 * against that client's schema and a reader sees why.
 */
export function headersText(settings: IdeSettings): string {
  const headers: Record<string, string> = { ...settings.headers };
  const lines: string[] = [];
  if (settings.client) {
    headers['apollographql-client-name'] ??= settings.client;
    lines.push(
      `// The ${settings.client} client's schema: this header (or that client's x-api-key) selects it.`,
    );
  }
  if (settings.keyLeftOut)
    lines.push(`// The default x-api-key names another client, so it is left out here.`);
  const body = JSON.stringify(headers, null, 2);
  if (lines.length === 0) return body;
  return `{\n${lines.map((line) => `  ${line}`).join('\n')}${body.slice(1)}`;
}
