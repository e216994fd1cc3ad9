//! Scale-out: server handshakes per second from a [`ServerPool`] with one worker and with one
//! per CPU, loaded by many native clients at once; and resumed handshakes across the workers
//! (each connection lands on another instance than the one that issued its ticket).

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::anyhow;
use sslsocket_host::SessionConfig;
use sslsocket_loops::load::set_identity;
use sslsocket_loops::pool::{Dispatch, PoolOptions, PoolStopper, ServerPool};
use sslsocket_loops::serve::{Behaviour, ServeOptions};
use sslsocket_testkit::testpki::{Authority, Identity};

use super::handshakes::{ring_client_config, ring_handshake};
use super::report::Row;

/// Client threads per CPU: each makes one handshake at a time.
const CLIENTS_PER_CPU: usize = 8;

/// Full handshakes/s with 1 worker and with one per CPU (at least 2), the ratio, and resumed
/// handshakes/s across that many workers; `count` handshakes per client thread.
pub(super) fn worker_handshakes(
    rows: &mut Vec<Row>,
    count: usize,
    ca: &Authority,
    key: &str,
    leaf: &Identity,
) -> anyhow::Result<()> {
    let cpus = thread::available_parallelism().map_or(2, |n| n.get().max(2));
    // Enough handshakes in flight that no worker waits for a client's next message.
    let clients = CLIENTS_PER_CPU * cpus;
    let full = ring_client_config(ca, false)?;
    let mut rates = Vec::new();
    for workers in [1, cpus] {
        let pool = Pool::start(leaf, workers, Dispatch::LeastConnections)?;
        let before = CpuTimes::now();
        let (rate, _) = pool.load(&full, clients, count)?;
        let used = CpuTimes::now()
            .zip(before)
            .map(|(now, before)| now.minus(&before));
        pool.stop()?;
        rows.push(row(
            format!("server, {key}, full, {workers} worker(s)"),
            rate,
            format!("{clients} rustls/ring clients at once, {count} handshakes each"),
        ));
        rates.push(rate);
        if let Some(used) = used {
            let handshakes = (clients * count) as f64;
            for (what, seconds, note) in [
                (
                    "workers' CPU",
                    used.workers,
                    "the worker threads (guest and host)",
                ),
                (
                    "other CPU",
                    used.others,
                    "load clients, acceptor, the runtime's threads",
                ),
            ] {
                rows.push(Row {
                    bench: "workers",
                    case: format!("server, {key}, full, {workers} worker(s), {what}"),
                    client: "guest",
                    value: seconds * 1000.0 / handshakes,
                    unit: "ms/handshake",
                    note: note.to_owned(),
                });
            }
        }
    }
    if let [one, many] = rates[..] {
        rows.push(Row {
            bench: "workers",
            case: format!("server, {key}, full, {cpus} workers / 1"),
            client: "ratio",
            value: many / one,
            unit: "speed-up",
            note: "the clients run on the same cores".to_owned(),
        });
    }
    // Round robin: a client's next connection goes to another worker than its last.
    let resuming = ring_client_config(ca, true)?;
    let pool = Pool::start(leaf, cpus, Dispatch::RoundRobin)?;
    let (rate, resumed) = pool.load(&resuming, clients, count)?;
    pool.stop()?;
    rows.push(row(
        format!("server, {key}, resumed across {cpus} workers"),
        rate,
        format!(
            "{resumed} of {} resumed (tickets under the pool's shared key), {clients} clients",
            clients * count
        ),
    ));
    Ok(())
}

fn row(case: String, value: f64, note: String) -> Row {
    Row {
        bench: "workers",
        case,
        client: "guest",
        value,
        unit: "handshakes/s",
        note,
    }
}

/// A running echo pool on 127.0.0.1.
struct Pool {
    port: u16,
    stopper: PoolStopper,
    thread: JoinHandle<anyhow::Result<()>>,
}

impl Pool {
    fn start(leaf: &Identity, workers: usize, dispatch: Dispatch) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let mut options = PoolOptions::new(
            workers,
            SessionConfig::new(),
            ServeOptions::new(Behaviour::Echo),
        );
        options.dispatch = dispatch;
        let (cert, key) = (leaf.cert_pem.clone(), leaf.key_pem.clone());
        let pool = ServerPool::start(listener, options, move |_, session, server| {
            set_identity(session, server, &cert, &key)
        })?;
        let stopper = pool.stopper();
        let thread = thread::spawn(move || pool.run(|_| {}));
        Ok(Self {
            port,
            stopper,
            thread,
        })
    }

    /// `clients` threads make `count` handshakes each (after one untimed warm-up each);
    /// returns the handshakes per second over them all and how many resumed.
    fn load(
        &self,
        config: &Arc<rustls::ClientConfig>,
        clients: usize,
        count: usize,
    ) -> anyhow::Result<(f64, usize)> {
        for _ in 0..clients {
            ring_handshake(config, self.port)?;
        }
        let resumed = Arc::new(AtomicUsize::new(0));
        let failure = Arc::new(Mutex::new(None));
        let started = Instant::now();
        let threads: Vec<_> = (0..clients)
            .map(|_| {
                let (config, port) = (Arc::clone(config), self.port);
                let (resumed, failure) = (Arc::clone(&resumed), Arc::clone(&failure));
                thread::Builder::new()
                    .name("bench-client".into())
                    .spawn(move || {
                        for _ in 0..count {
                            match ring_handshake(&config, port) {
                                Ok(sample) if sample.resumed => {
                                    resumed.fetch_add(1, Ordering::Relaxed);
                                }
                                Ok(_) => {}
                                Err(error) => {
                                    *failure.lock().unwrap_or_else(|e| e.into_inner()) =
                                        Some(error);
                                    return;
                                }
                            }
                        }
                    })
            })
            .collect::<Result<_, _>>()?;
        for thread in threads {
            thread
                .join()
                .map_err(|_| anyhow!("a client thread panicked"))?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        if let Some(error) = failure.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(error.context("a pool client"));
        }
        Ok((
            (clients * count) as f64 / elapsed,
            resumed.load(Ordering::Relaxed),
        ))
    }

    fn stop(self) -> anyhow::Result<()> {
        self.stopper.stop();
        self.thread
            .join()
            .map_err(|_| anyhow!("the pool thread panicked"))?
    }
}

/// CPU time this process has used: in its worker threads (`sslsocket-worker-N`) and in all the
/// others (threads that have ended included), from /proc (Linux).
struct CpuTimes {
    workers: f64,
    others: f64,
}

impl CpuTimes {
    /// Now; `None` where /proc cannot be read.
    fn now() -> Option<Self> {
        let ticks = rustix::param::clock_ticks_per_second() as f64;
        let total = busy_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
        let mut workers = 0;
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let path = task.path();
            let named = std::fs::read_to_string(path.join("comm"))
                .is_ok_and(|comm| comm.starts_with("sslsocket-worke"));
            if named {
                // A thread that ended between the listing and the read counts as nothing.
                workers += std::fs::read_to_string(path.join("stat"))
                    .ok()
                    .and_then(|stat| busy_ticks(&stat))
                    .unwrap_or(0);
            }
        }
        Some(Self {
            workers: workers as f64 / ticks,
            others: total.saturating_sub(workers) as f64 / ticks,
        })
    }

    /// The CPU seconds used from `before` to `self`.
    fn minus(&self, before: &Self) -> Self {
        Self {
            workers: self.workers - before.workers,
            others: self.others - before.others,
        }
    }
}

/// User plus system time, in clock ticks, from a /proc `stat` line (fields 14 and 15; the
/// command name before them is in parentheses and may hold spaces).
fn busy_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}
