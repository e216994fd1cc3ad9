// Entry point of the worker thread that hosts one component instance (started by lib/engine.js).
//
// It loads the transpiled component, says READY, and starts the event loop, which runs on this
// thread's own events from then on. A trap of the component (or a failure to load it) is fatal
// for the instance: it posts FATAL and exits, and the main thread fails every open socket and
// server.

import { parentPort, workerData } from 'node:worker_threads';
import { describeThrown } from '../errors.js';
import { Notice } from '../protocol.js';
import { EventLoop } from './loop.js';

/** Reports a fatal error to the main thread and ends the worker. */
function die(thrown, context) {
  parentPort.postMessage([{ type: Notice.FATAL, id: 0, error: describeThrown(thrown, context) }]);
  process.exit(1);
}

const { bindings, commands } = workerData;

let component;
try {
  component = await import(bindings);
} catch (thrown) {
  die(thrown, `loading the component from ${bindings} (run npm run build)`);
}

parentPort.postMessage([{ type: Notice.READY, id: 0, version: component.socket.sslLibraryVersionString() }]);
// A trap inside a net event handler (a component call there) ends up here.
process.on('uncaughtException', (thrown) => die(thrown, 'event loop'));
new EventLoop({ component, commands, notices: parentPort, onFatal: (thrown) => die(thrown, 'event loop') });
