//! One module per subcommand of `sslsocket`.

pub mod bench;
pub mod cert;
pub mod connect;
pub mod demo;
pub mod load;
pub mod serve;
