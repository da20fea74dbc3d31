//! No function of the macro is longer than [`LIMIT`] lines, so that each reads as one unit
//! (`expand::network` once was 520 lines of one `quote!`).

/// The longest a function may be, from its `fn` line to its closing brace inclusive.
const LIMIT: usize = 120;

/// Every source file of the crate, as compiled into this test.
const SOURCES: &[(&str, &str)] = &[
    ("check.rs", include_str!("check.rs")),
    ("check_budget.rs", include_str!("check_budget.rs")),
    ("check_names.rs", include_str!("check_names.rs")),
    ("check_shapes.rs", include_str!("check_shapes.rs")),
    ("every_token.rs", include_str!("every_token.rs")),
    ("expand.rs", include_str!("expand.rs")),
    ("expand_shapes.rs", include_str!("expand_shapes.rs")),
    ("lib.rs", include_str!("lib.rs")),
    ("parse.rs", include_str!("parse.rs")),
    ("registry.rs", include_str!("registry.rs")),
    ("unit_length.rs", include_str!("unit_length.rs")),
];

/// Each function with a body of `source` (rustfmt's layout): its name, the line of its `fn`
/// (from 1), and its length in lines, up to the first `}` alone at the `fn`'s indentation.
/// `None` for the length when no such brace follows.
fn function_lengths(source: &str) -> Vec<(String, usize, Option<usize>)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let Some(name) = function_name(code) else {
            continue;
        };
        // A declaration without a body, or a body on the `fn` line itself.
        if code.ends_with(';') || code.ends_with('}') {
            continue;
        }
        let closing = format!("{indent}}}");
        let length = lines[start + 1..]
            .iter()
            .position(|l| *l == closing)
            .map(|offset| offset + 2);
        found.push((name, start + 1, length));
    }
    found
}

/// The function's name if `code` (a line without its indentation) starts a function.
fn function_name(code: &str) -> Option<String> {
    let mut rest = code;
    for qualifier in ["pub(crate) ", "pub(super) ", "pub ", "const ", "unsafe "] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn lengths_are_counted_from_fn_to_its_closing_brace() {
    let source = "\
fn one() {}
pub fn three() {
    body();
}
impl A {
    pub(crate) fn four(
        x: u8,
    ) {
    }
    fn declared(&self);
}
fn open() {
";
    let lengths = function_lengths(source);
    assert_eq!(
        lengths,
        [
            ("three".to_string(), 2, Some(3)),
            ("four".to_string(), 6, Some(4)),
            ("open".to_string(), 12, None),
        ]
    );
}

#[test]
fn every_source_file_is_checked() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("lists the sources")
        .map(|entry| {
            entry
                .expect("reads an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".rs"))
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = SOURCES.iter().map(|(name, _)| *name).collect();
    assert_eq!(on_disk, listed, "list every file of src in SOURCES");
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let mut too_long = Vec::new();
    for (file, source) in SOURCES {
        for (name, line, length) in function_lengths(source) {
            match length {
                Some(length) if length <= LIMIT => {}
                _ => too_long.push(format!("{file}:{line} `{name}`: {length:?} lines")),
            }
        }
    }
    assert!(too_long.is_empty(), "over {LIMIT} lines: {too_long:#?}");
}
