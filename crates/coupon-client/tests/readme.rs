//! The README's Rust snippets are compiled: each one must appear verbatim (as
//! a run of lines, indented by four spaces) in `examples/readme.rs`, which
//! `cargo test` and clippy build.

const README: &str = include_str!("../../../README.md");
const EXAMPLE: &str = include_str!("../examples/readme.rs");

/// The bodies of the README's ```rust blocks.
fn rust_blocks(markdown: &str) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_start() == "```rust" => current = Some(Vec::new()),
            None => {}
            Some(_) if line.trim_start() == "```" => blocks.extend(current.take()),
            Some(block) => block.push(line),
        }
    }
    blocks
}

/// The example's lines with one level (four spaces) of indentation removed.
fn example_lines() -> Vec<&'static str> {
    EXAMPLE
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l).trim_end())
        .collect()
}

#[test]
fn every_rust_snippet_of_the_readme_is_in_the_compiled_example() {
    let blocks = rust_blocks(README);
    assert!(
        blocks.len() >= 2,
        "expected the service and webhook snippets, found {} rust blocks",
        blocks.len()
    );
    let example = example_lines();
    for block in blocks {
        let block: Vec<&str> = block.iter().map(|l| l.trim_end()).collect();
        let found = example
            .windows(block.len())
            .any(|window| window == block.as_slice());
        assert!(
            found,
            "this README snippet is not in examples/readme.rs (edit both together):\n{}",
            block.join("\n")
        );
    }
}

#[test]
fn the_block_extractor_finds_only_rust_blocks() {
    let md = "text\n```sh\nls\n```\n```rust\nlet a = 1;\n\nlet b = 2;\n```\n";
    assert_eq!(rust_blocks(md), vec![vec!["let a = 1;", "", "let b = 2;"]]);
}
