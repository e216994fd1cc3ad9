// Preloaded with `node --import` (the second run of `npm test`) to run the test files with the
// component in a worker thread (`configure({ workers: 1 })`, lib/hosts.js) instead of the test's
// own thread, the default.
import { configure } from '../../lib/index.js';

configure({ workers: 1 });
