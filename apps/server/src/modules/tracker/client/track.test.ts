import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrackerScript } from '../tracker-script.js';

// The bundled /track.js run against a minimal browser: what it sends, when, and when it does not.
// The real browser is in apps/web/e2e/tracker.e2e.ts.

interface Sent {
  url: string;
  body: Record<string, unknown>;
  init: Record<string, unknown>;
}

interface PageOptions {
  attributes?: Record<string, string>;
  /** The script's src; '' for an inline copy of the script. */
  src?: string;
  referrer?: string;
  path?: string;
  gpc?: boolean;
  doNotTrack?: string;
  ignore?: string;
  noFetch?: boolean;
  prerendering?: boolean;
}

let source = '';

function page(options: PageOptions = {}) {
  const sent: Sent[] = [];
  const listeners = new Map<string, Array<() => void>>();
  const on = (type: string, listener: () => void) =>
    listeners.set(type, [...(listeners.get(type) ?? []), listener]);
  const fire = (type: string) => {
    for (const listener of listeners.get(type) ?? []) listener();
  };
  const attributes = options.attributes ?? { 'data-key': 'mly_publishable' };
  const location = { pathname: options.path ?? '/', hostname: 'shop.example' };
  const navigate = (url: string) => {
    location.pathname = new URL(url, 'https://shop.example').pathname;
  };
  const document = {
    currentScript: {
      src: options.src ?? 'https://metrics.example.net/track.js',
      getAttribute: (name: string) => attributes[name] ?? null,
    },
    referrer: options.referrer ?? '',
    prerendering: options.prerendering ?? false,
    addEventListener: on,
  };
  const window: Record<string, unknown> = {
    document,
    location,
    history: {
      pushState: (_data: unknown, _unused: string, url: string) => navigate(url),
      replaceState: (_data: unknown, _unused: string, url: string) => navigate(url),
    },
    navigator: {
      globalPrivacyControl: options.gpc,
      doNotTrack: options.doNotTrack ?? null,
      sendBeacon: (url: string, body: string) => {
        throw new Error(`sendBeacon(${url}, ${body}) is not to be used`);
      },
    },
    screen: { width: 1440 },
    localStorage: {
      getItem: (key: string) => (key === 'measurely_ignore' ? (options.ignore ?? null) : null),
    },
    addEventListener: on,
    URL,
    JSON,
  };
  if (!options.noFetch) {
    window.fetch = (url: string, init: { body: string } & Record<string, unknown>) => {
      sent.push({ url, body: JSON.parse(init.body), init });
      return Promise.resolve({ status: 202 });
    };
  }
  window.globalThis = window;
  const context = vm.createContext(window);
  const run = () => vm.runInContext(source, context);
  run();
  const history = window.history as Record<'pushState' | 'replaceState', (...a: unknown[]) => void>;
  return {
    sent,
    run,
    fire,
    /** The browser shows a prerendered page. */
    activate: () => {
      document.prerendering = false;
      fire('prerenderingchange');
    },
    push: (url: string) => history.pushState({}, '', url),
    replace: (url: string) => history.replaceState({}, '', url),
    back: (url: string) => {
      navigate(url);
      fire('popstate');
    },
  };
}

describe('track.js in a page', () => {
  beforeAll(async () => {
    source = (await loadTrackerScript()).source.toString('utf8');
  });

  it('sends a page view on load to the server it came from: CORS, keepalive, no credentials', () => {
    const { sent } = page({ path: '/pricing', referrer: 'https://www.google.com/search?q=secret' });
    expect(sent).toEqual([
      {
        url: 'https://metrics.example.net/track',
        body: { key: 'mly_publishable', path: '/pricing', referrer: 'www.google.com', width: 1440 },
        init: { method: 'POST', body: expect.any(String), keepalive: true, credentials: 'omit' },
      },
    ]);
    // A normal CORS request, so the browser always sends the Origin; a string body is text/plain.
    expect(sent[0]?.init.mode).toBeUndefined();
    expect(typeof sent[0]?.init.body).toBe('string');
    // Only the referrer's host leaves the page, never its path or query.
    expect(JSON.stringify(sent)).not.toContain('secret');
  });

  it('sends to `track` next to the script, keeping a path prefix of the server', () => {
    const p = page({ src: 'https://example.net/measurely/track.js?v=2' });
    expect(p.sent.map((s) => s.url)).toEqual(['https://example.net/measurely/track']);
  });

  it('follows single-page-app navigations, once per new path', () => {
    const p = page({ path: '/' });
    p.push('/docs');
    p.replace('/docs?tab=api');
    p.push('/docs#install');
    p.push('/blog');
    p.back('/docs');
    expect(p.sent.map((s) => [s.body.path, s.body.referrer])).toEqual([
      ['/', undefined],
      ['/docs', 'shop.example'],
      ['/blog', 'shop.example'],
      ['/docs', 'shop.example'],
    ]);
  });

  it('flags page views when the visitor signals GPC or Do Not Track; the server decides', () => {
    for (const options of [{ gpc: true }, { doNotTrack: '1' }, { doNotTrack: 'yes' }]) {
      const p = page(options);
      p.push('/next');
      expect(
        p.sent.map((s) => [s.body.path, s.body.gpc]),
        JSON.stringify(options),
      ).toEqual([
        ['/', true],
        ['/next', true],
      ]);
    }
    for (const options of [{ gpc: false }, { doNotTrack: '0' }, {}]) {
      expect(page(options).sent[0]?.body, JSON.stringify(options)).not.toHaveProperty('gpc');
    }
  });

  it('sends nothing from a browser whose owner set measurely_ignore', () => {
    const p = page({ ignore: 'true' });
    p.push('/next');
    expect(p.sent).toEqual([]);
  });

  it('sends nothing without a key, and counts once when loaded twice', () => {
    expect(page({ attributes: {} }).sent).toEqual([]);
    const p = page();
    p.run();
    expect(p.sent).toHaveLength(1);
  });

  it('uses data-api as the server; sends nothing without fetch', () => {
    const p = page({
      attributes: { 'data-key': 'mly_k', 'data-api': 'https://proxy.example/stats/' },
    });
    expect(p.sent.map((s) => [s.url, s.body])).toEqual([
      ['https://proxy.example/stats/track', { key: 'mly_k', path: '/', width: 1440 }],
    ]);
    expect(page({ noFetch: true }).sent).toEqual([]);
  });

  it('runs as an inline copy without failing: silent without data-api, else sends there', () => {
    expect(page({ src: '' }).sent).toEqual([]);
    const p = page({
      src: '',
      attributes: { 'data-key': 'mly_k', 'data-api': 'https://metrics.example.net' },
    });
    expect(p.sent.map((s) => s.url)).toEqual(['https://metrics.example.net/track']);
  });

  it('counts nothing while the page is prerendering, and the page once it is shown', () => {
    const p = page({ prerendering: true });
    p.push('/app');
    p.back('/');
    expect(p.sent).toEqual([]);
    p.activate();
    expect(p.sent.map((s) => s.body.path)).toEqual(['/']);
    p.push('/app');
    expect(p.sent.map((s) => s.body.path)).toEqual(['/', '/app']);
  });
});
