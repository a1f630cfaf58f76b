import { describe, expect, it } from 'vitest';
import { browserOf, deviceOf, isBot } from './user-agent.js';

const UA = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  chromeIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1',
  androidPhone:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  androidTablet:
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  samsung:
    'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  opera:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0',
  headless:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
};

describe('user agent classes', () => {
  it('tell phones, tablets and desktops apart', () => {
    expect(deviceOf(UA.chromeWindows, 390)).toBe('desktop');
    expect(deviceOf(UA.safariMac, undefined)).toBe('desktop');
    expect(deviceOf(UA.iphone, 1440)).toBe('mobile');
    expect(deviceOf(UA.androidPhone, undefined)).toBe('mobile');
    expect(deviceOf(UA.ipad, undefined)).toBe('tablet');
    expect(deviceOf(UA.androidTablet, undefined)).toBe('tablet');
  });

  it('fall back on the screen width when the user agent names no platform', () => {
    expect(deviceOf('Mozilla/5.0', 390)).toBe('mobile');
    expect(deviceOf('Mozilla/5.0', 800)).toBe('tablet');
    expect(deviceOf('Mozilla/5.0', 1920)).toBe('desktop');
    expect(deviceOf('Mozilla/5.0', undefined)).toBe('desktop');
  });

  it('name the main browsers, others as other', () => {
    expect(browserOf(UA.chromeWindows)).toBe('chrome');
    expect(browserOf(UA.chromeIos)).toBe('chrome');
    expect(browserOf(UA.headless)).toBe('chrome');
    expect(browserOf(UA.edge)).toBe('edge');
    expect(browserOf(UA.firefoxMac)).toBe('firefox');
    expect(browserOf(UA.safariMac)).toBe('safari');
    expect(browserOf(UA.iphone)).toBe('safari');
    expect(browserOf(UA.samsung)).toBe('other');
    expect(browserOf(UA.opera)).toBe('other');
    expect(browserOf('curl/8.5.0')).toBe('other');
  });

  it('recognise robots, not browsers', () => {
    expect(isBot('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe(
      true,
    );
    expect(isBot('facebookexternalhit/1.1')).toBe(true);
    expect(isBot('')).toBe(true);
    for (const ua of Object.values(UA)) expect(isBot(ua), ua).toBe(false);
  });
});
