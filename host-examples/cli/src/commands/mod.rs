//! One module per subcommand of `sslsocket`.

pub mod bench;
pub mod cert;
pub mod component;
pub mod connect;
pub mod demo;
pub mod load;
pub mod plug;
pub mod run;
pub mod serve;
pub mod verify;
