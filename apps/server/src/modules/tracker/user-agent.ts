/** Coarse classes of a visitor's device and browser: enough for a breakdown, not a fingerprint. */
export type DeviceClass = 'mobile' | 'tablet' | 'desktop';
export type BrowserClass = 'chrome' | 'firefox' | 'safari' | 'edge' | 'other';

const TABLET = /iPad|Tablet|PlayBook|Silk\/|Kindle|Nexus (?:7|9|10)\b/i;
const MOBILE = /Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|BB10|Opera Mini|IEMobile/i;
const DESKTOP = /Windows NT|Macintosh|X11|CrOS|Linux x86_64/i;
const BOT =
  /bot\b|bot\/|crawl|spider|slurp|facebookexternalhit|embedly|bingpreview|chrome-lighthouse|pingdom|uptimerobot|python-requests|curl\/|wget\//i;

/**
 * The device class, from the user agent; a screen width (CSS pixels, sent by the script) decides
 * only when the user agent names no platform.
 */
export function deviceOf(userAgent: string, screenWidth: number | undefined): DeviceClass {
  // Android phones say "Mobile"; Android tablets do not.
  if (TABLET.test(userAgent) || (/Android/i.test(userAgent) && !/Mobile/i.test(userAgent))) {
    return 'tablet';
  }
  if (MOBILE.test(userAgent)) return 'mobile';
  if (DESKTOP.test(userAgent) || screenWidth === undefined) return 'desktop';
  if (screenWidth < 600) return 'mobile';
  return screenWidth < 1024 ? 'tablet' : 'desktop';
}

/** The browser family; Chromium-based browsers that say who they are (Opera, Samsung…) are other. */
export function browserOf(userAgent: string): BrowserClass {
  if (/Edg(?:e|A|iOS)?\//.test(userAgent)) return 'edge';
  if (/OPR\/|Opera|SamsungBrowser|YaBrowser|UCBrowser|Vivaldi|MSIE|Trident\//.test(userAgent)) {
    return 'other';
  }
  if (/Firefox\/|FxiOS\//.test(userAgent)) return 'firefox';
  if (/Chrome\/|CriOS\/|Chromium\//.test(userAgent)) return 'chrome';
  if (/Safari\//.test(userAgent) && /AppleWebKit\//.test(userAgent)) return 'safari';
  return 'other';
}

/** Crawlers, link previews and uptime checks that run scripts: their page views are not people's. */
export function isBot(userAgent: string): boolean {
  return userAgent.trim() === '' || BOT.test(userAgent);
}
