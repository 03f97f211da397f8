// Monaco (GraphiQL's editor) writes styles in two ways that a content-security-policy of
// `style-src 'self'` refuses: `<style>` elements it fills with text (theme colours, list and
// menu styles), and HTML strings with `style="…"` attributes (every line it renders, placed by
// `top:`). The browser drops what it refuses, so the editor's lines would stack and its colours
// vanish. The CSSOM is not subject to CSP, so this module moves both onto it before Monaco
// loads: the page keeps a policy that allows only 'self', and nothing inline is allowed back.
//
// Imported first by main.tsx: it must run before any module that creates a style.

const pendingStyle = 'data-sb-style';

/**
 * What `document.createElement('style')` returns here: an element whose text goes into a
 * constructed stylesheet, adopted by its document (or shadow root) while it is connected.
 */
class ConstructedStyle extends HTMLElement {
  readonly sheet = new CSSStyleSheet();
  type = 'text/css';
  media = '';
  #css = '';
  #root: Document | ShadowRoot | undefined;

  override get textContent(): string {
    return this.#css;
  }
  override set textContent(css: string | null) {
    this.#css = css ?? '';
    this.sheet.replaceSync(this.#css);
  }
  override get innerText(): string {
    return this.#css;
  }
  override set innerText(css: string) {
    this.textContent = css;
  }
  override get innerHTML(): string {
    return this.#css;
  }
  override set innerHTML(css: string) {
    this.textContent = String(css);
  }

  connectedCallback(): void {
    const root = this.getRootNode();
    if (!(root instanceof Document || root instanceof ShadowRoot)) return;
    this.#root = root;
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, this.sheet];
  }

  disconnectedCallback(): void {
    const root = this.#root;
    if (!root) return;
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((sheet) => sheet !== this.sheet);
    this.#root = undefined;
  }
}

// A tag (`<name …>`), its quoted attribute values skipped whole, and a `style=` attribute in it.
const tag = /<[A-Za-z][^\s/>]*(?:[^>"']|"[^"]*"|'[^']*')*>/g;
const styleAttribute = /("[^"]*"|'[^']*')|(\s)style=/gi;

/**
 * The HTML with each `style=` attribute renamed, so parsing it breaks no rule. Text never
 * holds a raw `<` (Monaco escapes it, and the HTML parser would start a tag there too).
 */
function withStylesSetAside(html: string): string {
  return html.replace(tag, (found) =>
    found.replace(styleAttribute, (match, quoted: string | undefined, space: string) =>
      quoted !== undefined ? match : `${space}${pendingStyle}=`,
    ),
  );
}

/** Applies the styles set aside under `scope` through the CSSOM. */
function applyStylesSetAside(scope: ParentNode): void {
  for (const element of scope.querySelectorAll<HTMLElement>(`[${pendingStyle}]`)) {
    element.style.cssText = element.getAttribute(pendingStyle) ?? '';
    element.removeAttribute(pendingStyle);
  }
}

/** Installs the rewrites; idempotent. */
export function moveInlineStylesToCssom(): void {
  if (customElements.get('sb-style')) return;
  customElements.define('sb-style', ConstructedStyle);

  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (
    this: Document,
    name: string,
    options?: ElementCreationOptions,
  ) {
    if (typeof name === 'string' && name.toLowerCase() === 'style')
      return createElement.call(this, 'sb-style');
    return createElement.call(this, name, options);
  } as Document['createElement'];

  // Monaco passes TrustedHTML where the browser has Trusted Types: String() gives its HTML.
  const innerHTML = Object.getOwnPropertyDescriptor(Element.prototype, 'innerHTML')!;
  Object.defineProperty(Element.prototype, 'innerHTML', {
    ...innerHTML,
    set(this: Element, html: unknown) {
      const text = String(html);
      if (!text.includes('style=')) return innerHTML.set!.call(this, html);
      innerHTML.set!.call(this, withStylesSetAside(text));
      applyStylesSetAside(this);
    },
  });

  const insertAdjacentHTML = Element.prototype.insertAdjacentHTML;
  Element.prototype.insertAdjacentHTML = function (this: Element, position: InsertPosition, html: string) {
    const text = String(html);
    if (!text.includes('style=')) return insertAdjacentHTML.call(this, position, html);
    insertAdjacentHTML.call(this, position, withStylesSetAside(text));
    const outside = position === 'beforebegin' || position === 'afterend';
    applyStylesSetAside(outside ? (this.parentNode ?? this) : this);
  };

  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
    if (name.toLowerCase() === 'style' && (this instanceof HTMLElement || this instanceof SVGElement)) {
      this.style.cssText = String(value);
      return;
    }
    setAttribute.call(this, name, value);
  };
}

moveInlineStylesToCssom();
