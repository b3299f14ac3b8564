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

/// The README's table of operations, generated from the operation table.
fn operations_table() -> String {
    use coupon_client::coupon_model::operations::OPERATIONS;
    let mut out = String::from(
        "| operation | method | brand path | partner path | paged | request type |\n|---|---|---|---|---|---|\n",
    );
    for spec in OPERATIONS {
        let path = |p: Option<&str>| p.map_or("—".to_owned(), |p| format!("`{p}`"));
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | `{}` |\n",
            spec.name,
            spec.method,
            path(spec.brand_path),
            path(spec.partner_path),
            if spec.is_paged() { "yes" } else { "no" },
            spec.request_type,
        ));
    }
    out
}

/// The README lists every operation, from the table itself
/// (regenerate with `UPDATE_README=1 cargo test -p coupon-client --test readme`).
#[test]
fn the_readme_lists_every_operation_of_the_table() {
    const BEGIN: &str =
        "<!-- operations: generated from coupon_model::operations::OPERATIONS -->\n";
    const END: &str = "<!-- operations: end -->";
    let table = operations_table();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the operations markers")
        + BEGIN.len();
    let end = readme[start..]
        .find(END)
        .expect("README has the end marker")
        + start;
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "README's operations table is out of date: UPDATE_README=1 cargo test -p coupon-client --test readme"
    );
}
