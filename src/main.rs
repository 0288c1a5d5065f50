//! The `docsmith` binary; everything lives in the library (`src/cli.rs`).

/// mimalloc instead of the system allocator: generators allocate and free
/// many small buffers per job on many threads, where glibc's malloc showed
/// up as a tenth of the service's CPU time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    docsmith::cli::main()
}
