fn main() -> std::process::ExitCode {
    gongjiang::cli::main()
}
