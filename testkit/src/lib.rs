//! What shakedown's own tests share across crates: a real OpenSSH server on a loopback port
//! (`sshd`) and scanners of the processes a run starts and must not leave behind
//! (`processes`). A dev-dependency only; nothing here ships.

pub mod processes;
pub mod sshd;
