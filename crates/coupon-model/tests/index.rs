//! The operation table and every request and response type against the
//! field index of the whole API (`docs/spec/fields-*.txt`, vendored from the
//! official samples and a third-party SDK's models).
//!
//! - The table holds exactly the `METHOD PATH`s of the index, on both sides.
//! - For every operation, side and source variant, a JSON document with
//!   *every* field the index lists is built from the index's types; the
//!   body parses into the operation's body type without an unknown field and
//!   serialises back to the same document, and so does the answer: no field
//!   a source names is lost. (The pages' spellings are written for the two
//!   aliases: `progressive_bundle_usage_info` → `sequential_usage_info` and
//!   `PROGRESSIVE_BUNDLE` → `SEQUENTIAL`.)
//! - Path and query parameters (`*` in the index) are exactly the
//!   placeholders and query parameters of the table.
//! - `tests/fixtures/operations/<name>.response.json` is, for every
//!   operation, the answer with every documented field (regenerate with
//!   `UPDATE_FIXTURES=1 cargo test -p coupon-model --test index`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use coupon_model::operation::{BodyKind, Operation, OperationVisitor, Side, visit_operation};
use coupon_model::operations::OPERATIONS;
use serde_json::{Map, Value, json};

/// One `## …: METHOD PATH` section of an index file.
#[derive(Debug)]
struct Section {
    file: &'static str,
    title: String,
    method: String,
    path: String,
    /// Object name (with any `@variant` suffix) → fields `(name, type, is_param)`.
    objects: BTreeMap<String, Vec<(String, String, bool)>>,
    /// Object names in the order listed.
    order: Vec<String>,
    /// Enum name → values.
    enums: BTreeMap<String, Vec<String>>,
}

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/spec")
}

fn parse_index(file: &'static str) -> Vec<Section> {
    let text = std::fs::read_to_string(spec_dir().join(file))
        .unwrap_or_else(|e| panic!("read docs/spec/{file}: {e}"));
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("## ") {
            let Some((title, rest)) = header.split_once(": ") else {
                sections.push(Section {
                    file,
                    title: header.to_owned(),
                    method: String::new(),
                    path: String::new(),
                    objects: BTreeMap::new(),
                    order: Vec::new(),
                    enums: BTreeMap::new(),
                });
                continue;
            };
            let mut words = rest.split_whitespace();
            let method = words.next().unwrap_or("").to_owned();
            let path = words.next().unwrap_or("").to_owned();
            let method = if ["GET", "POST", "PATCH"].contains(&method.as_str()) {
                method
            } else {
                String::new()
            };
            sections.push(Section {
                file,
                title: title.to_owned(),
                method,
                path,
                objects: BTreeMap::new(),
                order: Vec::new(),
                enums: BTreeMap::new(),
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        let Some(entry) = line.strip_prefix("  ") else {
            continue;
        };
        if let Some(def) = entry.strip_prefix("enum ") {
            let (name, values) = def.split_once(": ").unwrap();
            section.enums.insert(
                name.to_owned(),
                values.split('|').map(str::to_owned).collect(),
            );
            continue;
        }
        let Some((name, fields)) = entry.split_once(": ") else {
            continue;
        };
        let fields = fields
            .split(", ")
            .map(|f| {
                let (field, ty) = f.split_once(':').unwrap();
                let param = field.ends_with('*');
                (field.trim_end_matches('*').to_owned(), ty.to_owned(), param)
            })
            .collect();
        section.order.push(name.to_owned());
        section.objects.insert(name.to_owned(), fields);
    }
    sections
}

fn all_sections() -> Vec<Section> {
    let mut all = parse_index("fields-brand.txt");
    all.extend(parse_index("fields-partner.txt"));
    all.extend(parse_index("fields-extra.txt"));
    all.retain(|s| !s.method.is_empty());
    all
}

fn side_of(path: &str) -> Side {
    if path.starts_with("/brand/") {
        Side::Brand
    } else {
        Side::Partner
    }
}

#[test]
fn the_table_holds_every_method_and_path_of_the_index_and_no_other() {
    let index: BTreeSet<(String, String)> = all_sections()
        .iter()
        .map(|s| (s.method.clone(), s.path.clone()))
        .collect();
    let mut table = BTreeSet::new();
    for spec in OPERATIONS {
        for side in [Side::Brand, Side::Partner] {
            if let Some(path) = spec.path_template(side) {
                table.insert((spec.method.as_str().to_owned(), path.to_owned()));
            }
        }
    }
    let missing: Vec<_> = index.difference(&table).collect();
    let extra: Vec<_> = table.difference(&index).collect();
    assert!(
        missing.is_empty(),
        "in the index, not in the table: {missing:#?}"
    );
    assert!(
        extra.is_empty(),
        "in the table, not in the index: {extra:#?}"
    );
    // 29 brand + 29 partner endpoints, create product coupon on both sides,
    // four partner-only extras.
    assert_eq!(index.len(), 29 + 29 + 2 + 4);
    let names: BTreeSet<&str> = OPERATIONS.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), OPERATIONS.len(), "operation names are unique");
}

#[test]
fn names_are_the_samples_operation_names_in_kebab_case() {
    for spec in OPERATIONS {
        if spec.source == coupon_model::operation::Source::Official {
            assert_eq!(spec.name, kebab(spec.sample_name), "{}", spec.name);
        }
        // Every placeholder of the suffix appears in both full templates.
        for side in [Side::Brand, Side::Partner] {
            if let Some(template) = spec.path_template(side) {
                assert!(template.ends_with(spec.path), "{}", spec.name);
                assert!(template.starts_with(side.prefix()), "{}", spec.name);
            }
        }
    }
}

fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON value for `ty`, with every field of every object the section
/// defines. `variant` picks `Name@variant` definitions when they exist.
fn generate(section: &Section, ty: &str, field: &str, depth: usize) -> Option<Value> {
    assert!(
        depth < 12,
        "{}: type nesting too deep at {ty}",
        section.title
    );
    if let Some(inner) = ty.strip_prefix("List<").and_then(|t| t.strip_suffix('>')) {
        return Some(json!([generate(section, inner, field, depth + 1)?]));
    }
    Some(match ty {
        "String" => Value::String(string_for(field)),
        "Long" | "Integer" => json!(1),
        "Boolean" => json!(true),
        "byte[]" => return None,
        name => {
            if let Some(values) = section.enums.get(name) {
                return Some(Value::String(values[0].clone()));
            }
            let fields = section
                .objects
                .get(name)
                .unwrap_or_else(|| panic!("{}: type {name} is not defined", section.title));
            let mut map = Map::new();
            for (f, t, param) in fields {
                if *param {
                    continue;
                }
                if let Some(v) = generate(section, t, f, depth + 1) {
                    map.insert(f.clone(), v);
                }
            }
            Value::Object(map)
        }
    })
}

/// A string value that passes the field's documented format.
fn string_for(field: &str) -> String {
    match field {
        f if f.ends_with("_time") => "2025-08-01T10:00:00+08:00".to_owned(),
        "sha256" => "a".repeat(64),
        "filename" => "logo.png".to_owned(),
        "out_request_no" | "send_request_no" => "req_20250801_0001".to_owned(),
        "notify_url" => "https://example.com/wxpay/notify".to_owned(),
        f => format!("{f}-value"),
    }
}

/// The pages' spellings of the two aliases, as the SDK writes them.
fn normalise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(info) = map.remove("progressive_bundle_usage_info") {
                map.entry("sequential_usage_info").or_insert(info);
            }
            if map.get("usage_mode").and_then(Value::as_str) == Some("PROGRESSIVE_BUNDLE") {
                map.insert("usage_mode".into(), json!("SEQUENTIAL"));
            }
            map.values_mut().for_each(normalise);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// The operation whose template on the section's side is the section's path.
fn operation_of(section: &Section) -> (&'static coupon_model::OperationSpec, Side) {
    let side = side_of(&section.path);
    let spec = OPERATIONS
        .iter()
        .copied()
        .find(|s| {
            s.method.as_str() == section.method && s.path_template(side) == Some(&section.path)
        })
        .unwrap_or_else(|| panic!("no operation for {} {}", section.method, section.path));
    (spec, side)
}

/// The request and response object names of a section, with their variants.
fn roles(section: &Section) -> (Vec<String>, Vec<String>) {
    let base = |name: &str| name.split('@').next().unwrap_or(name).to_owned();
    let requests: Vec<String> = section
        .order
        .iter()
        .filter(|n| base(n).ends_with("Request"))
        .cloned()
        .collect();
    let mut responses: Vec<String> = section
        .order
        .iter()
        .filter(|n| base(n).ends_with("Response"))
        .cloned()
        .collect();
    if responses.is_empty() {
        // The official index lists the answer right after the request.
        let after = section
            .order
            .iter()
            .position(|n| base(n).ends_with("Request"))
            .map_or(0, |i| i + 1);
        responses.extend(section.order.get(after).cloned());
    }
    (requests, responses)
}

/// Round-trips a body and an answer through an operation's types.
struct RoundTrip {
    body: Option<Value>,
    response: Value,
}

impl OperationVisitor for RoundTrip {
    type Output = Result<Value, String>;

    fn visit<O: Operation>(self) -> Self::Output {
        if let Some(body) = self.body {
            let mut unknown = Vec::new();
            let typed: O::Body =
                serde_ignored::deserialize(body.clone(), |path| unknown.push(path.to_string()))
                    .map_err(|e| format!("body does not parse: {e}"))?;
            if !unknown.is_empty() {
                return Err(format!("body fields the type does not know: {unknown:?}"));
            }
            let mut expected = body;
            normalise(&mut expected);
            let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
            if back != expected {
                return Err(format!(
                    "body lost or changed fields:\nsent {expected:#}\nback {back:#}"
                ));
            }
        }
        let mut unknown = Vec::new();
        let typed: O::Response = serde_ignored::deserialize(self.response.clone(), |path| {
            unknown.push(path.to_string())
        })
        .map_err(|e| format!("answer does not parse: {e}"))?;
        if !unknown.is_empty() {
            return Err(format!("answer fields the type does not know: {unknown:?}"));
        }
        let mut expected = self.response;
        normalise(&mut expected);
        let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
        if back != expected {
            return Err(format!(
                "answer lost or changed fields:\ngot  {expected:#}\nback {back:#}"
            ));
        }
        Ok(back)
    }
}

#[test]
fn every_documented_field_of_every_operation_round_trips_on_both_sides() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for section in all_sections() {
        let (spec, side) = operation_of(&section);
        let (requests, responses) = roles(&section);
        assert!(!responses.is_empty(), "{}: no answer type", section.title);

        // Parameters: the `*` fields are the placeholders and the query.
        for request in &requests {
            let params: BTreeSet<String> = section.objects[request]
                .iter()
                .filter(|(_, _, param)| *param)
                .map(|(f, _, _)| f.clone())
                .collect();
            let mut table: BTreeSet<String> = spec.placeholders().map(str::to_owned).collect();
            table.extend(
                spec.query
                    .iter()
                    .filter(|q| side == Side::Partner || q.name != "brand_id")
                    .map(|q| q.name.to_owned()),
            );
            if params != table {
                failures.push(format!(
                    "{} ({side}, {request}): index parameters {params:?}, table {table:?}",
                    spec.name
                ));
            }
        }

        let bodies: Vec<Option<Value>> = if spec.body == BodyKind::None {
            vec![None]
        } else {
            requests
                .iter()
                .map(|r| generate(&section, r, "", 0))
                .map(|body| {
                    // The multipart meta is the signed JSON body.
                    body.map(|b| {
                        if spec.body == BodyKind::Multipart {
                            b["meta"].clone()
                        } else {
                            b
                        }
                    })
                })
                .collect()
        };
        for body in &bodies {
            for response in &responses {
                let response = generate(&section, response, "", 0).unwrap();
                let visit = RoundTrip {
                    body: body.clone(),
                    response,
                };
                match visit_operation(spec.name, visit) {
                    Some(Ok(_)) => checked += 1,
                    Some(Err(e)) => {
                        failures.push(format!("{} ({side}, {}): {e}", spec.name, section.file))
                    }
                    None => failures.push(format!("{}: not visitable", spec.name)),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 64, "only {checked} combinations checked");
}

/// The answer fixture of every operation: the partner side's variant where
/// there is one (it adds `brand_id`), the first-listed source otherwise.
#[test]
fn every_operation_has_an_answer_fixture_with_every_documented_field() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/operations");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut chosen: BTreeMap<&'static str, Value> = BTreeMap::new();
    for section in all_sections() {
        let (spec, side) = operation_of(&section);
        let (_, responses) = roles(&section);
        let value = generate(&section, &responses[0], "", 0).unwrap();
        if side == Side::Partner || !chosen.contains_key(spec.name) {
            chosen.insert(spec.name, value);
        }
    }
    assert_eq!(chosen.len(), OPERATIONS.len());
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (name, value) in chosen {
        let path = dir.join(format!("{name}.response.json"));
        let text = format!("{}\n", serde_json::to_string_pretty(&value).unwrap());
        if update {
            std::fs::write(&path, &text).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (regenerate with UPDATE_FIXTURES=1 cargo test -p coupon-model --test index)",
                path.display()
            )
        });
        assert_eq!(
            on_disk,
            text,
            "{} is out of date with the index",
            path.display()
        );
        let fixture: Value = serde_json::from_str(&on_disk).unwrap();
        let back = visit_operation(
            name,
            RoundTrip {
                body: None,
                response: fixture,
            },
        )
        .unwrap();
        assert!(back.is_ok(), "{name}: {:?}", back.err());
    }
}
