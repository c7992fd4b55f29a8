/** Entry of the end-to-end bench's own process (see end-to-end-isolation.ts); `npm run bench` starts it. */
import { run } from './end-to-end.js';

await run();
