// The website tracker, served as /track.js: bundled and minified into one IIFE (esbuild), kept
// under 2 KB gzipped. It sends page views to the Measurely server it was loaded from, and nothing
// else: no cookies, no storage writes, no other request.
//
//   <script defer src="https://measurely.example.com/track.js" data-key="mly_…"></script>
//
// Page views go to `track` next to the script's own URL (a path prefix is kept); data-api
// overrides the server's base URL. Typed against the few browser APIs it uses, so the server's
// TypeScript program needs no DOM library.

type HistoryMethod = (data: unknown, unused: string, url?: string | null) => void;

interface BrowserWindow {
  document: {
    currentScript: { src: string; getAttribute(name: string): string | null } | null;
    referrer: string;
    prerendering?: boolean;
    addEventListener(type: 'prerenderingchange', listener: () => void): void;
  };
  location: { pathname: string; hostname: string };
  history: { pushState: HistoryMethod; replaceState: HistoryMethod };
  navigator: { globalPrivacyControl?: boolean; doNotTrack?: string | null };
  doNotTrack?: string | null;
  screen: { width: number };
  localStorage: { getItem(key: string): string | null };
  fetch?(
    url: string,
    init: { method: 'POST'; body: string; keepalive: true; credentials: 'omit' },
  ): Promise<unknown>;
  addEventListener(type: 'popstate', listener: () => void): void;
  measurelyTracker?: true;
}

const w = globalThis as unknown as BrowserWindow;
const { document: doc, location: loc, navigator: nav } = w;
const script = doc.currentScript;
const key = script?.getAttribute('data-key');

/** A site owner's own visits: localStorage.measurely_ignore = 'true' in their browser. */
function ignored(): boolean {
  try {
    return w.localStorage.getItem('measurely_ignore') === 'true';
  } catch {
    return false;
  }
}

/** data-api + /track, else `track` next to the script (undefined for an inline copy). */
function endpointOf(tag: NonNullable<typeof script>): string | undefined {
  const api = tag.getAttribute('data-api');
  try {
    return api ? `${api.replace(/\/+$/, '')}/track` : new URL('track', tag.src).href;
  } catch {
    return undefined;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

const endpoint = script && endpointOf(script);

if (script && key && endpoint && w.fetch && !w.measurelyTracker && !ignored()) {
  w.measurelyTracker = true;
  // Global Privacy Control or Do Not Track: sent along; the project decides whether to honour it.
  const gpc =
    nav.globalPrivacyControl === true ||
    nav.doNotTrack === '1' ||
    nav.doNotTrack === 'yes' ||
    w.doNotTrack === '1' ||
    undefined;
  let last: string | undefined;

  const send = (path: string, referrer: string | undefined): void => {
    // A text/plain body makes a CORS request without preflight; no cookie ever goes.
    const body = JSON.stringify({ key, path, referrer, width: w.screen.width, gpc });
    w.fetch?.(endpoint, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(
      () => undefined,
    );
  };

  /** A page view, unless the page is still prerendering or the path is the one just counted. */
  const view = (navigated: boolean): void => {
    const path = loc.pathname;
    if (doc.prerendering || path === last) return;
    last = path;
    // After an in-app navigation the visitor comes from this very site.
    send(path, navigated ? loc.hostname : hostOf(doc.referrer));
  };

  for (const name of ['pushState', 'replaceState'] as const) {
    const original = w.history[name];
    w.history[name] = function (this: unknown, ...args: Parameters<HistoryMethod>) {
      original.apply(this, args);
      view(true);
    };
  }
  w.addEventListener('popstate', () => view(true));
  // A prerendered page the visitor never opens is no page view; one they open counts then.
  doc.addEventListener('prerenderingchange', () => view(false));
  view(false);
}

// A module, so its names stay its own in the server's TypeScript program.
export {};
