//! The `repository` fuzz target's harness, run in CI on its seed corpus and on deterministic
//! mutations of it: the whole lint and every output format, without panic, with every span
//! in bounds (see `fuzz/fuzz_targets/repository_harness.rs`; the fuzzer itself needs nightly).

#[path = "../../../fuzz/fuzz_targets/repository_harness.rs"]
mod repository_harness;

fn seeds() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/repository");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out
}

#[test]
fn seeds_lint_and_render_cleanly() {
    for seed in seeds() {
        repository_harness::run(&seed);
    }
}

/// Byte flips, truncations, duplications and splices of the seeds, from a fixed xorshift
/// sequence: a few hundred inputs a fuzzer would try first.
#[test]
fn mutated_seeds_lint_and_render_cleanly() {
    let seeds = seeds();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut data = seeds[(next() % seeds.len() as u64) as usize].clone();
        for _ in 0..(1 + next() % 4) {
            let at = (next() % (data.len() as u64 + 1)) as usize;
            match next() % 5 {
                0 if at < data.len() => data[at] = (next() & 0xff) as u8,
                1 => data.truncate(at),
                2 => {
                    let piece: Vec<u8> = data[at..].iter().take(64).copied().collect();
                    data.splice(at..at, piece);
                }
                3 => {
                    let other = &seeds[(next() % seeds.len() as u64) as usize];
                    let from = (next() % (other.len() as u64 + 1)) as usize;
                    data.splice(at..at, other[from..].iter().take(200).copied());
                }
                _ => data.insert(
                    at.min(data.len()),
                    b"\0\n:-[{&*'\"#\x1b"[(next() % 11) as usize],
                ),
            }
        }
        repository_harness::run(&data);
    }
}
