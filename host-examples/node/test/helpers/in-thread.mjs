// Preloaded with `node --import` to run a test file with the component in the test's own thread
// (`configure({ workers: 0 })`, lib/hosts.js) instead of a worker.
import { configure } from '../../lib/index.js';

configure({ workers: 0 });
