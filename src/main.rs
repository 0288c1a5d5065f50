//! The `docsmith` binary; everything lives in the library (`src/cli.rs`).

fn main() -> std::process::ExitCode {
    docsmith::cli::main()
}
