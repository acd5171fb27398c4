//! The `shakedown` binary: everything lives in the library so tests can drive it in-process.

// A run makes and drops many small values per step (events, futures, strings); mimalloc's
// thread-local free lists cost less there than the system allocator: 10,000 scenarios took
// 15-20% less wall and CPU time in `ci/bench`. Without transparent huge pages (`no_thp`) its
// peak RSS stays where glibc's was (about 75 MB there, against 92 MB with them).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(shakedown::main());
}
