// Runs the TypeScript worker from sources (tests, tsx): registers tsx in this thread first.
import { register } from 'tsx/esm/api';

register();
await import('./sqlite-writer.worker.ts');
