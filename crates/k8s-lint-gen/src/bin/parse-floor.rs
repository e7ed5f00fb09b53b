//! `parse-floor DIR`: walk DIR, read every YAML file and run the YAML parser over it, in
//! parallel, and nothing else: the floor a whole-repository lint cannot beat. Prints the
//! number of files and parser events so the work cannot be optimised away.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse-floor DIR");
        return ExitCode::from(2);
    };
    let paths = k8s_lint_gen::yaml_files(Path::new(&dir));
    let events = k8s_lint_gen::parse_floor(&paths);
    println!("{} files, {events} events", paths.len());
    ExitCode::SUCCESS
}
