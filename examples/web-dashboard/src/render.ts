import { type Answer, errorsAt, type GatewayError } from './client.js';
import type { WebDashboardQuery } from './gql/graphql.js';

type Dashboard = NonNullable<WebDashboardQuery['dashboard']>;

/** Creates an element with text; no HTML strings, so nothing the services send is markup. */
function element(tag: string, text?: string, attributes: Record<string, string> = {}): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** Why a part of the screen is missing, in words, with the code and the service that failed. */
function unavailable(what: string, errors: GatewayError[]): HTMLElement {
  const box = element('p', `${what} are unavailable right now.`, {
    class: 'unavailable',
    'data-testid': 'unavailable',
  });
  for (const error of errors) {
    const { code = 'ERROR', service } = error.extensions ?? {};
    box.append(
      element('br'),
      element('small', `${code}${service ? ` from the ${service} service` : ''}: ${error.message}`),
    );
  }
  return box;
}

function panel(title: string, testId: string): HTMLElement {
  const section = element('section', undefined, { class: 'panel', 'data-testid': testId });
  section.append(element('h2', title));
  return section;
}

function ordersPanel(dashboard: Dashboard, answer: Answer<WebDashboardQuery>): HTMLElement {
  const section = panel('Recent orders', 'orders');
  const orders = dashboard.recentOrders;
  if (!orders) {
    section.append(unavailable('Orders', errorsAt(answer, 'dashboard', 'recentOrders')));
    return section;
  }
  if (orders.length === 0) section.append(element('p', 'No orders yet.'));
  const list = element('ul');
  for (const order of orders) {
    const items = order.items.map(
      (item) => `${item.quantity} × ${item.product?.name ?? 'a product no longer sold'}`,
    );
    const row = element('li', undefined, { 'data-testid': 'order' });
    row.append(
      element('strong', `${order.id} · ${order.status.toLowerCase()} · ${order.total.formatted}`),
      element('br'),
      element('small', items.join(', ')),
    );
    list.append(row);
  }
  section.append(list);
  return section;
}

function notificationsPanel(dashboard: Dashboard, answer: Answer<WebDashboardQuery>): HTMLElement {
  const unread = dashboard.unreadCount;
  const section = panel(
    unread === null ? 'Notifications' : `Notifications (${unread} unread)`,
    'notifications',
  );
  const notifications = dashboard.notifications;
  if (!notifications) {
    section.append(unavailable('Notifications', errorsAt(answer, 'dashboard', 'notifications')));
    return section;
  }
  const list = element('ul');
  for (const notification of notifications) {
    const row = element('li', `${notification.kind}: ${notification.message}`, {
      'data-testid': 'notification',
    });
    if (!notification.read) row.classList.add('unread');
    list.append(row);
  }
  section.append(list);
  return section;
}

/**
 * The dashboard as far as it came: a failed service costs only its panel, which says why;
 * with no dashboard at all (a rejected request), the page says that instead.
 */
export function renderDashboard(root: HTMLElement, answer: Answer<WebDashboardQuery>): void {
  const dashboard = answer.data?.dashboard;
  if (!dashboard) {
    root.replaceChildren(unavailable('Your dashboard and its parts', answer.errors ?? []));
    return;
  }
  const header = element('header');
  header.append(
    element('h1', `Hello, ${dashboard.user.name}`, { 'data-testid': 'user-name' }),
    element('p', dashboard.user.email),
  );
  root.replaceChildren(header, ordersPanel(dashboard, answer), notificationsPanel(dashboard, answer));
}
