/** The fakes stamp benchmark timings with the service's own clock, so times taken in both processes compare. */
export { preciseNow } from '../../src/precise-clock.js';
