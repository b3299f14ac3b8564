//! Every fuzz target over its seed corpus, on stable: the seeds built from the
//! page examples, and every file committed under `fuzz/seeds/<target>/`
//! (which must hold exactly those seeds, plus any reproducer added by hand
//! as `crash-*`). Regenerate the committed seeds after changing a fixture or
//! the seed builder with `FUZZ_WRITE_SEEDS=1 cargo test -p fuzz-targets`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use fuzz_targets::{TARGETS, seeds};

fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds")
}

fn target(name: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {name}"))
}

#[test]
fn every_target_has_seeds() {
    let built = seeds();
    for (name, _) in TARGETS {
        assert!(
            built.iter().filter(|s| s.target == *name).count() >= 3,
            "{name} has too few seeds"
        );
    }
}

#[test]
fn the_committed_seeds_are_the_built_ones() {
    let built = seeds();
    if std::env::var_os("FUZZ_WRITE_SEEDS").is_some() {
        for (name, _) in TARGETS {
            let dir = seeds_dir().join(name);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        for seed in &built {
            std::fs::write(seeds_dir().join(seed.target).join(&seed.name), &seed.data).unwrap();
        }
    }
    for seed in &built {
        let path = seeds_dir().join(seed.target).join(&seed.name);
        let committed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run FUZZ_WRITE_SEEDS=1 cargo test -p fuzz-targets",
                path.display()
            )
        });
        assert!(
            committed == seed.data,
            "{} is stale; run FUZZ_WRITE_SEEDS=1 cargo test -p fuzz-targets",
            path.display()
        );
    }
}

#[test]
fn every_target_runs_over_its_committed_seeds() {
    if std::env::var_os("FUZZ_WRITE_SEEDS").is_some() {
        return; // the files are being rewritten by the test above
    }
    let mut counts = BTreeMap::new();
    for (name, run) in TARGETS {
        let dir = seeds_dir().join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        for file in &files {
            let data = std::fs::read(file).unwrap();
            run(&data);
        }
        counts.insert(*name, files.len());
    }
    assert!(counts.values().all(|&n| n > 0), "{counts:?}");
}

#[test]
fn every_target_survives_trivial_inputs() {
    for (name, run) in TARGETS {
        for data in [
            &b""[..],
            b"\0",
            b"\n\n",
            b"\xff\xfe",
            b"{}",
            b"\x02PRODUCT_COUPON.SEND\n\n{}",
        ] {
            run(data);
        }
        let _ = target(name);
    }
}
