// Driving GraphiQL in the IDE page the way a person does (click, Ctrl+Enter, open a panel), and
// reading its editors through Monaco where the screen shows only part of them.
import type { Page } from 'playwright-core';

/** Waits until the IDE has rendered its editors. */
export async function ideReady(page: Page): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor({ timeout: 30_000 });
  // GraphiQL keeps Monaco here once it has loaded it; the helpers below read the editors through it.
  await page.waitForFunction(() => (globalThis as { __MONACO?: unknown }).__MONACO !== undefined, null, {
    timeout: 30_000,
  });
}

/** Clicks into the operation editor and presses Ctrl+Enter, as the IDE's users do. */
export async function runWithCtrlEnter(page: Page): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').first().click();
  await page.keyboard.press('Control+Enter');
}

type MonacoModel = { uri: { path: string }; getValue(): string; setValue(value: string): void };
type MonacoGlobal = { __MONACO?: { editor: { getModels(): MonacoModel[] } } };

/** The whole text of one of GraphiQL's editors (`operation.graphql`, `response.json`, …). */
export async function editorText(page: Page, file: string): Promise<string> {
  return page.evaluate((name) => {
    const models = (globalThis as MonacoGlobal).__MONACO?.editor.getModels() ?? [];
    return models.find((model) => model.uri.path.endsWith(name))?.getValue() ?? '';
  }, file);
}

/** Replaces the operation editor's text (typing would fight Monaco's bracket completion). */
export async function setOperation(page: Page, text: string): Promise<void> {
  await page.evaluate((value) => {
    const models = (globalThis as MonacoGlobal).__MONACO?.editor.getModels() ?? [];
    models.find((model) => model.uri.path.endsWith('operation.graphql'))?.setValue(value);
  }, text);
}

/** Waits until the response editor holds JSON with `predicate` true; returns it. */
export async function waitForResponse(
  page: Page,
  predicate: (body: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await editorText(page, 'response.json');
    try {
      const body = JSON.parse(last) as Record<string, unknown>;
      if (predicate(body)) return body;
    } catch {
      // not JSON yet (empty, or a stream still writing)
    }
    if (performance.now() > deadline)
      throw new Error(`no matching response within ${timeoutMs} ms; last: ${last}`);
    await page.waitForTimeout(100);
  }
}

/** What the screen shows of an element, with Monaco's non-breaking spaces made plain. */
export async function visibleText(page: Page, selector: string): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: what is rendered is the point here.
  const text = await page.locator(selector).first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

/** Opens a sidebar panel by its title ("Fan-out", "Documentation Explorer", "GraphiQL Explorer"). */
export async function openPanel(page: Page, title: string): Promise<void> {
  const button = page.locator(`.graphiql-sidebar button[aria-label="Show ${title}"]`);
  if ((await button.count()) > 0) await button.click();
}
