//! `parse-floor DIR`: walk DIR, read every YAML file and run the YAML parser over it, in
//! parallel, and nothing else: the floor a whole-repository lint cannot beat. Prints the
//! number of files and parser events so the work cannot be optimised away.

use std::process::ExitCode;

use rayon::prelude::*;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse-floor DIR");
        return ExitCode::from(2);
    };
    let mut paths: Vec<_> = ignore::WalkBuilder::new(&dir)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    let events: usize = paths
        .par_iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            granit_parser::Parser::new_from_str(&text)
                .take_while(Result::is_ok)
                .count()
        })
        .sum();
    println!("{} files, {events} events", paths.len());
    ExitCode::SUCCESS
}
