// The example's page: one request for the whole dashboard, rendered as far as it came.
import './style.css';
import { type Credentials, execute } from './client.js';
import { webDashboardQuery } from './dashboard-query.js';
import { renderDashboard } from './render.js';

// The example's server hands the demo credentials to the page; a real app gets its token from
// its sign-in and ships its API key with its build.
const credentials = JSON.parse(document.getElementById('credentials')?.textContent ?? '{}') as Credentials;
const root = document.getElementById('dashboard')!;

async function load(): Promise<void> {
  root.setAttribute('aria-busy', 'true');
  renderDashboard(root, await execute(webDashboardQuery, credentials));
  root.setAttribute('aria-busy', 'false');
}

document.getElementById('reload')?.addEventListener('click', () => void load());
void load();
