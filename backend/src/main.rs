#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    chorus::cli::main()
}
