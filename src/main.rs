fn main() -> std::process::ExitCode {
    twinpath::cli::main()
}
