import type { RedisLink } from '../../lib/redis-link.js';
import type { LiveHub } from './live-hub.js';

/** Which metrics of which projects received events in a commit. */
export type CommittedChanges = ReadonlyMap<string, ReadonlySet<string>>;

/** What the ingest service calls after each commit, so that every dashboard watching hears. */
export interface LiveRelay {
  committed(changes: CommittedChanges): void;
  /** Sends what is still gathered (server shutdown). */
  close(): Promise<void>;
}

/** One process: the commits go straight to its own hub. */
export function localRelay(hub: LiveHub): LiveRelay {
  return {
    committed: (changes) => hub.publish(changes),
    close: async () => undefined,
  };
}

/**
 * Several processes: the commits go to this process's hub at once and, gathered for
 * `gatherMs`, to the other processes' hubs through Redis (one message for many commits: a busy
 * node commits hundreds of times a second, and dashboards are sent changes 4 times a second).
 */
export async function redisRelay(
  hub: LiveHub,
  link: RedisLink,
  gatherMs = GATHER_MS,
): Promise<LiveRelay> {
  await link.listen(CHANNEL, (payload) => {
    if (!Array.isArray(payload)) return;
    const changes = new Map<string, Set<string>>();
    for (const entry of payload) {
      if (!Array.isArray(entry)) continue;
      const [projectId, metricIds] = entry as [unknown, unknown];
      if (typeof projectId !== 'string' || !Array.isArray(metricIds)) continue;
      changes.set(projectId, new Set(metricIds.filter((id) => typeof id === 'string')));
    }
    hub.publish(changes);
  });
  const gathered = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  const send = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (gathered.size === 0) return;
    const payload = [...gathered].map(([projectId, ids]) => [projectId, [...ids]]);
    gathered.clear();
    await link.publish(CHANNEL, payload);
  };
  return {
    committed(changes) {
      hub.publish(changes);
      for (const [projectId, metricIds] of changes) {
        let ids = gathered.get(projectId);
        if (ids === undefined) {
          ids = new Set();
          gathered.set(projectId, ids);
        }
        for (const id of metricIds) ids.add(id);
      }
      if (timer === undefined) {
        timer = setTimeout(() => void send(), gatherMs);
        timer.unref();
      }
    },
    close: send,
  };
}

const CHANNEL = 'live';
const GATHER_MS = 50;
