// Driving the whole app in tests (happy-dom): mount it at a path against a scripted `fetch`,
// and find controls the way a person does — buttons by text, fields by their label.
import { vi } from 'vitest';

export const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export const tick = () => new Promise((r) => setTimeout(r, 0));

/** A scripted server: answer a request, or return undefined for a 404 problem document. */
export type Script = (path: string, method: string, body: unknown, url: string) => Response | undefined | Promise<Response | undefined>;

/**
 * Signs in (a stored refresh token the script's `/auth/refresh` accepts), mounts <App> at `path`
 * in a fresh root and returns it with an unmount function.
 */
export async function mountApp(path: string, script: Script): Promise<{ root: HTMLElement; unmount: () => void }> {
  vi.resetModules();
  localStorage.clear();
  localStorage.setItem('chorus.refresh_token', 'R0');
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const method = init.method ?? 'GET';
    const p = url.split('?')[0] as string;
    if (p === '/api/v1/auth/refresh') return json(200, { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer', expires_in: 900 });
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    return (await script(p, method, body, url)) ?? json(404, { code: 'not_found', title: 'Not found', status: 404, type: 'about:blank' });
  });
  const root = document.createElement('div');
  document.body.append(root);
  history.replaceState(null, '', path);
  const [{ h, render }, { App }, { session }] = await Promise.all([import('preact'), import('../App'), import('../auth/session')]);
  void session.load();
  render(h(App, null), root);
  return {
    root,
    unmount: () => {
      render(null, root);
      root.remove();
      vi.unstubAllGlobals();
    },
  };
}

export function button(name: string): HTMLButtonElement {
  const found = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

/** The control a <label> with exactly this text names. */
export function field<T extends HTMLElement = HTMLInputElement>(label: string): T {
  const l = [...document.querySelectorAll('label')].find((x) => x.textContent?.trim() === label);
  const el = l && document.getElementById(l.htmlFor);
  if (!el) throw new Error(`no field ${label}`);
  return el as T;
}

export async function type(el: HTMLInputElement | HTMLTextAreaElement, value: string) {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await tick();
}
