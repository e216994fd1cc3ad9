//! A server on every core: one host listener, N workers, each a thread with its own session
//! (component instance) and `ssl-server`, sharing one session ticket key.
//!
//! A component instance runs on one thread, so one `ssl-server` uses one core. A
//! [`ServerPool`] accepts on a native listener and deals each connection out to a worker
//! ([`Dispatch`]), which hands it to its server with `incoming-connection` and serves it with
//! the [`crate::serve`] loop. The workers' servers share one ticket key (the caller's,
//! or one the pool makes and rotates), so a client resumes on whichever worker it lands. A
//! worker whose instance traps is replaced by a fresh instance without disturbing the others'
//! connections; [`PoolEvent::WorkerFailed`] reports it. Idle, every thread sleeps: the
//! acceptor in `accept`, the workers on their pollables and a doorbell, the caller's thread on
//! the event channel.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use std::net::TcpListener;
//! use sslsocket_host::SessionConfig;
//! use sslsocket_loops::pool::{PoolOptions, ServerPool};
//! use sslsocket_loops::serve::{Behaviour, ServeOptions};
//!
//! let listener = TcpListener::bind("127.0.0.1:4433")?;
//! let options = PoolOptions::new(4, SessionConfig::new(), ServeOptions::new(Behaviour::Echo));
//! let pool = ServerPool::start(listener, options, |_worker, session, server| {
//!     // Each worker's server: set-local-certificate-chain, set-private-key, ...
//!     # let _ = (session, server);
//!     Ok(())
//! })?;
//! pool.run(|event| println!("{event:?}"))?;
//! # Ok(())
//! # }
//! ```

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use sslsocket_host::{Doorbell, Session, SessionConfig, SslServer, names};

use crate::serve::{self, Event, Inbox, Incoming, ServeOptions};

/// The length of one session ticket key (`ssl-server.set-ticket-keys`).
pub const TICKET_KEY_LEN: usize = 48;
/// How often the pool replaces the ticket key it made, by default (the guest's own schedule).
pub const TICKET_KEY_ROTATION: Duration = Duration::from_secs(12 * 60 * 60);
/// How long the acceptor pauses after an accept error (out of file descriptors, say) before
/// trying again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// How the pool chooses the worker for a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dispatch {
    /// Each worker in turn.
    RoundRobin,
    /// The worker with the fewest connections open or waiting (ties: the lowest number): keeps
    /// long and short connections balanced.
    #[default]
    LeastConnections,
}

/// How a [`ServerPool`] runs.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// How many workers (instances, threads); at least 1.
    pub workers: usize,
    /// The configuration of every worker's session.
    pub session: SessionConfig,
    /// The serve loop of every worker: its behaviour, and for the whole pool its
    /// `max_connections` (counted over all workers) and `stop`. Its `tick` and `ids` are the
    /// pool's.
    pub serve: ServeOptions,
    /// How connections are dealt out.
    pub dispatch: Dispatch,
    /// The ticket keys of every worker's server: one 48-byte key, or the previous key then
    /// the current one (96 bytes). `None`: the pool makes a random key, shares it and replaces
    /// it every `ticket_key_rotation` (the previous key still opens tickets).
    pub ticket_keys: Option<Vec<u8>>,
    /// How often the pool replaces a key it made ([`TICKET_KEY_ROTATION`] by default).
    pub ticket_key_rotation: Duration,
}

impl PoolOptions {
    /// `workers` workers serving as `serve` says, least-connections dispatch, a ticket key the
    /// pool makes and rotates.
    pub fn new(workers: usize, session: SessionConfig, serve: ServeOptions) -> Self {
        Self {
            workers,
            session,
            serve,
            dispatch: Dispatch::default(),
            ticket_keys: None,
            ticket_key_rotation: TICKET_KEY_ROTATION,
        }
    }
}

/// What happened in a pool, as reported to the callback of [`ServerPool::run`].
#[derive(Clone, Debug, PartialEq)]
pub enum PoolEvent {
    /// An event of a worker's serve loop (connection numbers are unique across the pool).
    Serve {
        /// The worker, from 0.
        worker: usize,
        /// What happened.
        event: Event,
    },
    /// A worker's instance trapped: its connections are lost, a fresh instance replaces it.
    WorkerFailed {
        /// The worker.
        worker: usize,
        /// The trap.
        error: String,
        /// Whether a fresh instance took over (no: its setup failed, the worker is gone).
        replaced: bool,
    },
    /// Accepting failed (the pool pauses briefly and goes on).
    AcceptFailed(String),
}

/// A server on every core: see the [module documentation](self).
pub struct ServerPool {
    listener: Arc<TcpListener>,
    options: PoolOptions,
    workers: Vec<Worker>,
    keys: Arc<SharedKeys>,
    events: Receiver<Message>,
    sender: Sender<Message>,
    stop: Arc<AtomicBool>,
}

/// Stops a running pool from another thread ([`ServerPool::stopper`]).
#[derive(Clone, Debug)]
pub struct PoolStopper(Sender<Message>);

impl PoolStopper {
    /// Makes [`ServerPool::run`] stop (open connections are aborted) and return.
    pub fn stop(&self) {
        let _ = self.0.send(Message::Stop);
    }
}

impl ServerPool {
    /// Starts `options.workers` workers, each with a fresh session whose server `setup`
    /// configures (identity, CAs, verification, ALPN...; not its ticket keys, which are the
    /// pool's, and it need not listen). Returns once every worker is ready; connections are
    /// accepted from [`ServerPool::run`] on. `setup` runs again for a worker that replaces a
    /// trapped one.
    ///
    /// # Errors
    /// `workers` is 0, ticket keys of the wrong length, a setup that failed (its error), a
    /// trap, or no thread could be started.
    pub fn start<S>(listener: TcpListener, options: PoolOptions, setup: S) -> anyhow::Result<Self>
    where
        S: Fn(usize, &mut Session, SslServer) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        if options.workers == 0 {
            bail!("a pool needs at least one worker");
        }
        let keys = Arc::new(SharedKeys::new(options.ticket_keys.clone())?);
        let (sender, events) = mpsc::channel();
        let mut pool = Self {
            listener: Arc::new(listener),
            options,
            workers: Vec::new(),
            keys,
            events,
            sender,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let setup = Arc::new(setup);
        let (ready_tx, ready_rx) = mpsc::channel();
        for index in 0..pool.options.workers {
            match pool.spawn_worker(index, &setup, &ready_tx) {
                Ok(worker) => pool.workers.push(worker),
                Err(error) => {
                    pool.shut_down();
                    return Err(error);
                }
            }
        }
        drop(ready_tx);
        for _ in 0..pool.workers.len() {
            let ready = ready_rx
                .recv()
                .unwrap_or_else(|_| Err(anyhow!("a worker stopped before it was ready")));
            if let Err(error) = ready {
                pool.shut_down();
                return Err(error);
            }
        }
        Ok(pool)
    }

    /// The address the pool accepts on.
    ///
    /// # Errors
    /// The listener's address cannot be read.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops [`ServerPool::run`] from another thread.
    pub fn stopper(&self) -> PoolStopper {
        PoolStopper(self.sender.clone())
    }

    /// Accepts and serves until `max_connections` connections have ended, the `stop` flag of
    /// the serve options is set (looked at after each event) or a [`PoolStopper`] stops it;
    /// reports every event to `report` on this thread. Open connections are then aborted and
    /// every thread joined.
    ///
    /// # Errors
    /// The acceptor thread could not be started.
    pub fn run(mut self, mut report: impl FnMut(&PoolEvent)) -> anyhow::Result<()> {
        let acceptor = self.start_acceptor()?;
        let mut ended = 0u64;
        let rotation = self.options.ticket_key_rotation;
        let mut next_rotation = Instant::now() + rotation;
        loop {
            let timeout = next_rotation.saturating_duration_since(Instant::now());
            let event = match self.events.recv_timeout(timeout) {
                Ok(Message::Event(event)) => event,
                Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(key) = self.keys.rotate() {
                        for worker in &self.workers {
                            if worker.work.send(Incoming::TicketKey(key.clone())).is_ok() {
                                worker.bell.ring();
                            }
                        }
                    }
                    next_rotation = Instant::now() + rotation;
                    continue;
                }
            };
            if let PoolEvent::Serve { event, .. } = &event
                && ends_a_connection(event)
            {
                ended += 1;
            }
            report(&event);
            let limit_reached = self
                .options
                .serve
                .max_connections
                .is_some_and(|m| ended >= m);
            let stopped = self
                .options
                .serve
                .stop
                .as_ref()
                .is_some_and(|stop| stop.load(Ordering::SeqCst));
            if limit_reached || stopped {
                break;
            }
        }
        self.shut_down();
        wake_acceptor(&self.listener);
        let _ = acceptor.join();
        // Events that came while stopping.
        while let Ok(Message::Event(event)) = self.events.try_recv() {
            report(&event);
        }
        Ok(())
    }

    /// Starts worker `index`: its thread sets up an instance and reports on `ready`.
    fn spawn_worker<S>(
        &self,
        index: usize,
        setup: &Arc<S>,
        ready: &Sender<anyhow::Result<()>>,
    ) -> anyhow::Result<Worker>
    where
        S: Fn(usize, &mut Session, SslServer) -> anyhow::Result<()> + Send + Sync + 'static,
    {
        let (work_tx, work) = mpsc::channel();
        let bell = Doorbell::new();
        let open = Arc::new(AtomicUsize::new(0));
        let job = WorkerJob {
            index,
            inbox: Inbox {
                work,
                bell: bell.clone(),
            },
            open: Arc::clone(&open),
            session: self.options.session.clone(),
            serve: ServeOptions {
                max_connections: None,
                stop: Some(Arc::clone(&self.stop)),
                tick: None,
                ..self.options.serve.clone()
            },
            keys: Arc::clone(&self.keys),
            setup: Arc::clone(setup),
            events: self.sender.clone(),
            ready: ready.clone(),
        };
        let thread = thread::Builder::new()
            .name(format!("sslsocket-worker-{index}"))
            .spawn(move || job.run())
            .context("cannot start a worker thread")?;
        Ok(Worker {
            work: work_tx,
            bell,
            open,
            thread: Some(thread),
        })
    }

    /// Accepts on the listener and deals connections out until the pool stops.
    fn start_acceptor(&self) -> anyhow::Result<JoinHandle<()>> {
        let listener = Arc::clone(&self.listener);
        let stop = Arc::clone(&self.stop);
        let targets: Vec<Target> = self
            .workers
            .iter()
            .map(|w| Target {
                work: w.work.clone(),
                bell: w.bell.clone(),
                open: Arc::clone(&w.open),
            })
            .collect();
        let dispatch = self.options.dispatch;
        let events = self.sender.clone();
        thread::Builder::new()
            .name("sslsocket-acceptor".into())
            .spawn(move || accept_loop(&listener, &stop, &targets, dispatch, &events))
            .context("cannot start the acceptor thread")
    }

    fn ring_all(&self) {
        for worker in &self.workers {
            worker.bell.ring();
        }
    }

    /// Stops the workers and joins them.
    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.ring_all();
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for ServerPool {
    /// A pool dropped without running (or after) stops its workers.
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// What flows to the thread running [`ServerPool::run`].
#[derive(Debug)]
enum Message {
    Event(PoolEvent),
    Stop,
}

/// The pool's side of a worker.
struct Worker {
    work: Sender<Incoming>,
    bell: Doorbell,
    /// Connections dealt to the worker and not yet ended.
    open: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

/// The acceptor's side of a worker.
struct Target {
    work: Sender<Incoming>,
    bell: Doorbell,
    open: Arc<AtomicUsize>,
}

fn accept_loop(
    listener: &TcpListener,
    stop: &AtomicBool,
    targets: &[Target],
    dispatch: Dispatch,
    events: &Sender<Message>,
) {
    let mut turn = 0usize;
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                let _ = events.send(Message::Event(PoolEvent::AcceptFailed(error.to_string())));
                thread::sleep(ACCEPT_ERROR_PAUSE);
                continue;
            }
        };
        let first = match dispatch {
            Dispatch::RoundRobin => {
                turn = turn.wrapping_add(1);
                turn.wrapping_sub(1) % targets.len()
            }
            Dispatch::LeastConnections => targets
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| t.open.load(Ordering::SeqCst))
                .map_or(0, |(i, _)| i),
        };
        // A worker whose replacement failed is gone: the next one takes the connection.
        let mut stream = Some(stream);
        for offset in 0..targets.len() {
            let Some(target) = targets.get((first + offset) % targets.len()) else {
                continue;
            };
            let Some(s) = stream.take() else { break };
            target.open.fetch_add(1, Ordering::SeqCst);
            match target.work.send(Incoming::Connection(s)) {
                Ok(()) => {
                    target.bell.ring();
                    break;
                }
                Err(mpsc::SendError(work)) => {
                    target.open.fetch_sub(1, Ordering::SeqCst);
                    if let Incoming::Connection(s) = work {
                        stream = Some(s);
                    }
                }
            }
        }
    }
}

/// Makes a blocked `accept` return, by connecting to the listener once.
fn wake_acceptor(listener: &TcpListener) {
    let Ok(mut address) = listener.local_addr() else {
        return;
    };
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    let _ = TcpStream::connect_timeout(&address, Duration::from_secs(1));
}

/// A worker thread: its session, its server, and a replacement when the instance traps.
struct WorkerJob<S> {
    index: usize,
    inbox: Inbox,
    open: Arc<AtomicUsize>,
    session: SessionConfig,
    serve: ServeOptions,
    keys: Arc<SharedKeys>,
    setup: Arc<S>,
    events: Sender<Message>,
    ready: Sender<anyhow::Result<()>>,
}

impl<S> WorkerJob<S>
where
    S: Fn(usize, &mut Session, SslServer) -> anyhow::Result<()>,
{
    fn run(self) {
        let mut first = true;
        loop {
            let instance = self.instance();
            if first {
                first = false;
                let ready = match &instance {
                    Ok(_) => Ok(()),
                    Err(error) => Err(anyhow!("{error:#}")),
                };
                if self.ready.send(ready).is_err() || instance.is_err() {
                    return;
                }
            }
            let error = match instance {
                Ok((mut session, server)) => match self.serve(&mut session, server) {
                    Ok(()) => return,
                    Err(error) => error,
                },
                Err(error) => {
                    self.report(PoolEvent::WorkerFailed {
                        worker: self.index,
                        error: format!("{error:#}"),
                        replaced: false,
                    });
                    return;
                }
            };
            if self
                .serve
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::SeqCst))
            {
                return;
            }
            // The dead instance's connections are gone; those still queued go to the new one.
            self.open.store(0, Ordering::SeqCst);
            self.report(PoolEvent::WorkerFailed {
                worker: self.index,
                error: format!("{error:#}"),
                replaced: true,
            });
        }
    }

    /// A fresh session with a server set up and given the pool's ticket keys.
    fn instance(&self) -> anyhow::Result<(Session, SslServer)> {
        let mut session = Session::new(self.session.clone())?;
        let server = session.new_server()?;
        (self.setup)(self.index, &mut session, server)?;
        self.keys.apply(&mut session, server)?;
        Ok((session, server))
    }

    /// Serves until the pool stops (`Ok`) or the instance traps (`Err`).
    fn serve(&self, session: &mut Session, server: SslServer) -> anyhow::Result<()> {
        let result = serve::run_with_inbox(session, server, &self.serve, &self.inbox, |_, e| {
            if ends_a_connection(e) {
                let _ = self
                    .open
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            }
            self.report(PoolEvent::Serve {
                worker: self.index,
                event: e.clone(),
            });
        });
        result?;
        server.drop(session)?;
        Ok(())
    }

    fn report(&self, event: PoolEvent) {
        let _ = self.events.send(Message::Event(event));
    }
}

/// Whether a serve event is the end of a connection (closed, failed, timed out).
fn ends_a_connection(event: &Event) -> bool {
    matches!(
        event,
        Event::Closed { .. } | Event::HandshakeFailed { .. } | Event::HandshakeTimedOut { .. }
    )
}

/// The ticket keys every worker's server holds: the caller's, or the pool's own, rotated.
struct SharedKeys {
    /// The previous key (if any) then the current one; a replacement instance gets both.
    keys: Mutex<Vec<u8>>,
    /// Whether the pool made the keys (and so rotates them).
    own: bool,
}

impl SharedKeys {
    fn new(keys: Option<Vec<u8>>) -> anyhow::Result<Self> {
        let (keys, own) = match keys {
            Some(keys) => {
                if keys.len() != TICKET_KEY_LEN && keys.len() != 2 * TICKET_KEY_LEN {
                    bail!(
                        "ticket keys are one or two {TICKET_KEY_LEN}-byte keys, not {} bytes",
                        keys.len()
                    );
                }
                (keys, false)
            }
            None => (random_key()?, true),
        };
        Ok(Self {
            keys: Mutex::new(keys),
            own,
        })
    }

    /// Sets the keys on `server`: the previous first, so that the current one seals.
    fn apply(&self, session: &mut Session, server: SslServer) -> anyhow::Result<()> {
        let keys = self
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for key in keys.chunks(TICKET_KEY_LEN) {
            server
                .set_ticket_keys(session, key)?
                .map_err(|e| anyhow!("ticket key: {}", names::error_code_text(&e)))?;
        }
        Ok(())
    }

    /// Replaces the pool's own key, keeping the current one as the previous; returns the new
    /// key for the running servers (none for the caller's keys, or without random bytes).
    fn rotate(&self) -> Option<Vec<u8>> {
        if !self.own {
            return None;
        }
        let next = random_key().ok()?;
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let at = keys.len().saturating_sub(TICKET_KEY_LEN);
        let current = keys.split_off(at);
        *keys = [current, next.clone()].concat();
        Some(next)
    }
}

fn random_key() -> anyhow::Result<Vec<u8>> {
    let mut key = vec![0u8; TICKET_KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| anyhow!("no random bytes for a ticket key: {e}"))?;
    Ok(key)
}
