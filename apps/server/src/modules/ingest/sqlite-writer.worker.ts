import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteFile } from '../../storage/dialect.js';
import { createSqliteWriter } from './ingest.repo.sqlite.js';
import { decodeRequests, type WriterRequest, type WriterResponse } from './sqlite-writer-thread.js';

// The SQLite group commit, in its own thread: the commit's fsync never blocks the HTTP thread,
// which goes on parsing requests (the next commit's) while this one reaches the disk.
const port = parentPort;
if (port === null) throw new Error('sqlite-writer.worker must run as a worker thread');
const database = openSqliteFile((workerData as { file: string }).file);
const write = createSqliteWriter(database);

port.on('message', (message: WriterRequest) => {
  if (message.type === 'close') {
    database.close();
    port.postMessage({ type: 'closed' } satisfies WriterResponse);
    return;
  }
  try {
    const outcomes = write(
      decodeRequests(message.requests),
      message.now,
      (projectId) => message.quotas[projectId] ?? null,
      message.idempotencyCutoff,
    );
    port.postMessage({ type: 'written', id: message.id, outcomes } satisfies WriterResponse);
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    port.postMessage({ type: 'failed', id: message.id, error: text } satisfies WriterResponse);
  }
});
