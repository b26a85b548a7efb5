//! `synergies`: see `synergies --help`.

fn main() -> std::process::ExitCode {
    synergies::main()
}
