import { runtime } from './runtime.js';

/** A queue with events waiting: what to do when the runtime is about to stop. */
export interface LifecycleMember {
  /** Node ran out of work (`beforeExit`): send what waits. */
  exit(): void;
  /** The page is hidden or left: send everything at once, with keepalive. */
  leave(): void;
}

const members = new Set<LifecycleMember>();
let uninstall: (() => void) | undefined;

/**
 * Watches `member` until {@link unwatch}. One set of runtime listeners serves every member, and
 * only while some member has events waiting: clients never add up listeners (no MaxListeners
 * warning), and an idle client holds no reference from a global listener.
 */
export function watch(member: LifecycleMember): void {
  members.add(member);
  uninstall ??= install();
}

export function unwatch(member: LifecycleMember): void {
  members.delete(member);
  if (members.size === 0 && uninstall !== undefined) {
    uninstall();
    uninstall = undefined;
  }
}

/**
 * In Node, `beforeExit` (the flush timers are unref'd, so Node gets there with events queued;
 * `process.exit()` and signals skip it). In browsers, `visibilitychange` to hidden and `pagehide`.
 */
function install(): () => void {
  const proc = runtime.process;
  const doc = runtime.document;
  const each = (action: (member: LifecycleMember) => void) => () => {
    for (const member of [...members]) action(member);
  };
  const onBeforeExit = each((member) => member.exit());
  const onLeave = each((member) => member.leave());
  const onVisibility = (): void => {
    if (doc?.visibilityState === 'hidden') onLeave();
  };
  proc?.on?.('beforeExit', onBeforeExit);
  if (doc !== undefined) {
    doc.addEventListener?.('visibilitychange', onVisibility);
    runtime.addEventListener?.('pagehide', onLeave);
  }
  return () => {
    proc?.removeListener?.('beforeExit', onBeforeExit);
    if (doc !== undefined) {
      doc.removeEventListener?.('visibilitychange', onVisibility);
      runtime.removeEventListener?.('pagehide', onLeave);
    }
  };
}
