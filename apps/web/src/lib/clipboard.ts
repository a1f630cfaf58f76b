import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Copies text. `navigator.clipboard` exists only on HTTPS and localhost; a server reached over
 * plain HTTP on a LAN falls back to the older selection-based copy.
 */
export async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Denied: try the fallback.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/** `copy(text)`, then `copied` is true for a moment (or `failed` when the browser refused). */
export function useCopy(timeout = 2000) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = useCallback(
    async (text: string) => {
      const ok = await copyText(text);
      setState(ok ? 'copied' : 'failed');
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => setState('idle'), timeout);
    },
    [timeout],
  );
  return { copy, copied: state === 'copied', failed: state === 'failed' };
}
