//! "Every token is either understood or reported", as a property of the parse and check
//! phases: 6,000 descriptions, each one of a few valid seeds with one mutation (tokens
//! deleted, duplicated or swapped; numbers, widths and names replaced by what is no number,
//! width or name; attributes, generics, `where` clauses, extra arguments and deep nesting
//! inserted), must each give either a plan with exactly the layers and arguments written, or
//! an error inside the entry that was mutated, and a change in one place exactly one error.
//! No rustc is involved: spans are compared as byte ranges of the mutated text
//! (proc-macro2's `span-locations`, enabled for tests only).

use crate::registry::WidthRule;
use crate::{check, expand, parse};
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use std::ops::Range;
use std::str::FromStr;

/// One token of a flattened description: a leaf, or one half of a pair of brackets.
#[derive(Clone, Debug, PartialEq)]
enum Atom {
    Leaf { text: String, joint: bool },
    Open(char),
    Close(char),
}

impl Atom {
    fn leaf(text: &str) -> Self {
        Atom::Leaf {
            text: text.to_string(),
            joint: false,
        }
    }

    fn text(&self) -> &str {
        match self {
            Atom::Leaf { text, .. } => text,
            Atom::Open(_) | Atom::Close(_) => "",
        }
    }

    fn is(&self, text: &str) -> bool {
        matches!(self, Atom::Leaf { text: t, .. } if t == text)
    }
}

/// The atoms of `source`, brackets as pairs of atoms; `None` if it does not lex.
fn atoms(source: &str) -> Option<Vec<Atom>> {
    let mut out = Vec::new();
    let mut stack = vec![(TokenStream::from_str(source).ok()?.into_iter(), None)];
    while let Some((trees, close)) = stack.last_mut() {
        let Some(tree) = trees.next() else {
            if let Some(c) = close {
                out.push(Atom::Close(*c));
            }
            stack.pop();
            continue;
        };
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ('(', ')'),
                    Delimiter::Bracket => ('[', ']'),
                    Delimiter::Brace | Delimiter::None => ('{', '}'),
                };
                out.push(Atom::Open(open));
                stack.push((group.stream().into_iter(), Some(close)));
            }
            TokenTree::Punct(p) => out.push(Atom::Leaf {
                text: p.as_char().to_string(),
                joint: p.spacing() == Spacing::Joint,
            }),
            other => out.push(Atom::leaf(&other.to_string())),
        }
    }
    Some(out)
}

/// The text of `atoms`, and where each atom is in it.
fn render(atoms: &[Atom]) -> (String, Vec<Range<usize>>) {
    let (mut text, mut ranges) = (String::new(), Vec::new());
    let mut glued = false;
    for atom in atoms {
        if !text.is_empty() && !glued {
            text.push(' ');
        }
        let start = text.len();
        match atom {
            Atom::Leaf { text: t, .. } => text.push_str(t),
            Atom::Open(c) | Atom::Close(c) => text.push(*c),
        }
        ranges.push(start..text.len());
        glued = matches!(atom, Atom::Leaf { joint: true, .. });
    }
    (text, ranges)
}

/// A small deterministic generator (SplitMix64): the same descriptions on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Numbers that are no width and no probability.
const BAD_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e309",
    "18446744073709551616",
    "9223372036854775808",
    "1.5",
];
/// Types (and a constant) that are no width.
const NOT_WIDTHS: &[&str] = &[
    "f32",
    "u8",
    "()",
    "[u8; 4]",
    "Self",
    "U0",
    "typenet::dim::U0",
    "u64::MAX",
    "!",
    "fn()",
    "impl Sized",
    "&U8",
];
const KEYWORDS: &[&str] = &[
    "fn", "type", "struct", "self", "Self", "crate", "super", "where", "impl", "dyn", "loop",
    "match", "_", "r#type", "async", "move", "return",
];
/// Whole constructs inserted anywhere.
const INSERTS: &[&str] = &[
    "#[test]",
    "#[inline]",
    "#[repr(packed)]",
    "#[repr(align(64))]",
    "#[cfg(test)]",
    "#[derive(Clone)]",
    "#[::core::prelude::v1::derive(Clone)]",
    "#[cfg_attr(all(), derive(Debug))]",
    "#[cfg_attr(all(), inline)]",
    "<T>",
    "<'a>",
    "<H, H>",
    "<const N: u8>",
    "<H = U4>",
    "where T: Clone",
    "where Undeclared: Copy,",
    "8 -> 8",
    "-> 4",
    "= he",
    "init = glorot",
    "dropout(8 -> 8)",
    "dropout(!)",
    "dropout(fn())",
    "dropout(impl Sized)",
    "dense(1.5)",
];
/// Arguments added at the end of a layer's list.
const EXTRA_ARGUMENTS: &[&str] = &[
    ", 0.5",
    ", 8",
    ", 8 -> 8",
    ", p = 0.5",
    ", init = he",
    ", eps = 1e-3",
    ", momentum = 0.5",
];

/// A description with one mutation, and the indices of the atoms it touched (for a
/// deletion, the atoms on either side of the gap).
struct Mutant {
    atoms: Vec<Atom>,
    touched: Vec<usize>,
    /// Which of the mutations it is, for the report of a failure.
    kind: usize,
    /// How many places it changed: 2 for a swap, else 1.
    places: usize,
}

fn mutate(seed: &[Atom], rng: &mut Rng) -> Mutant {
    let mut atoms = seed.to_vec();
    let leaves: Vec<usize> = (0..atoms.len())
        .filter(|&i| matches!(atoms[i], Atom::Leaf { .. }))
        .collect();
    let numbers: Vec<usize> = leaves
        .iter()
        .copied()
        .filter(|&i| atoms[i].text().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let idents: Vec<usize> = leaves
        .iter()
        .copied()
        .filter(|&i| atoms[i].text().starts_with(|c: char| c.is_alphabetic()))
        .collect();
    let replace = |atoms: &mut Vec<Atom>, i: usize, with: &str| {
        let new = self::atoms(with).expect("replacements lex");
        let n = new.len();
        atoms.splice(i..=i, new);
        (i..i + n).collect()
    };
    let kind = rng.below(10);
    let touched: Vec<usize> = match kind {
        0 => {
            let i = rng.pick(&leaves);
            atoms.remove(i);
            vec![i.saturating_sub(1), i.min(atoms.len() - 1)]
        }
        1 => {
            let i = rng.pick(&leaves);
            atoms.insert(i, atoms[i].clone());
            vec![i, i + 1]
        }
        2 => {
            let (i, j) = (rng.pick(&leaves), rng.pick(&leaves));
            atoms.swap(i, j);
            vec![i, j]
        }
        3 => {
            let i = rng.pick(&numbers);
            replace(&mut atoms, i, rng.pick(BAD_NUMBERS))
        }
        4 => {
            let i = rng.pick(&numbers);
            replace(&mut atoms, i, rng.pick(NOT_WIDTHS))
        }
        5 => {
            let i = rng.pick(&idents);
            replace(&mut atoms, i, rng.pick(KEYWORDS))
        }
        6 => {
            // A whole bracketed group other than the body.
            let opens: Vec<usize> = (0..atoms.len())
                .filter(|&i| matches!(atoms[i], Atom::Open(c) if c != '{'))
                .collect();
            let Some(&i) = opens.get(rng.below(opens.len().max(1))) else {
                return mutate(seed, rng);
            };
            let end = matching_close(&atoms, i);
            atoms.drain(i..=end);
            vec![i.saturating_sub(1), i.min(atoms.len() - 1)]
        }
        7 => {
            let at = rng.below(atoms.len());
            let new = self::atoms(rng.pick(INSERTS)).expect("inserts lex");
            let n = new.len();
            atoms.splice(at..at, new);
            (at..at + n).collect()
        }
        8 => {
            // An extra argument, before the `)` of a layer's list.
            let body = entries(&atoms).map_or(0, |(_, open, _)| open);
            let closes: Vec<usize> = (body..atoms.len())
                .filter(|&i| atoms[i] == Atom::Close(')'))
                .collect();
            let Some(&at) = closes.get(rng.below(closes.len().max(1))) else {
                return mutate(seed, rng);
            };
            let new = self::atoms(rng.pick(EXTRA_ARGUMENTS)).expect("arguments lex");
            let n = new.len();
            atoms.splice(at..at, new);
            (at..at + n).collect()
        }
        _ => {
            // Deep nesting: 100 parentheses, or 200 minus signs, around a number.
            let i = rng.pick(&numbers);
            let deep = if rng.below(2) == 0 {
                format!("{}8{}", "(".repeat(100), ")".repeat(100))
            } else {
                format!("{}8", "- ".repeat(200))
            };
            replace(&mut atoms, i, &deep)
        }
    };
    Mutant {
        atoms,
        touched,
        kind,
        places: if kind == 2 { 2 } else { 1 },
    }
}

/// The index of the atom that closes the bracket opened at `open`.
fn matching_close(atoms: &[Atom], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, atom) in atoms.iter().enumerate().skip(open) {
        match atom {
            Atom::Open(_) => depth += 1,
            Atom::Close(_) => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            Atom::Leaf { .. } => {}
        }
    }
    atoms.len() - 1
}

/// The body's entries, as ranges of atom indices that include the separators on both sides
/// (`{`, `,`, `}`), and the body's brackets; `None` without a body.
fn entries(atoms: &[Atom]) -> Option<(Vec<Range<usize>>, usize, usize)> {
    let mut depth = 0usize;
    let open = atoms.iter().position(|a| {
        let top = depth == 0;
        match a {
            Atom::Open(_) => depth += 1,
            Atom::Close(_) => depth = depth.saturating_sub(1),
            Atom::Leaf { .. } => {}
        }
        top && *a == Atom::Open('{')
    })?;
    let (parts, close) = split(atoms, open);
    Some((parts, open, close))
}

/// The comma-separated parts of the group opened at `open` (commas inside `<…>` do not
/// count), each with its separators, and where the group closes.
fn split(atoms: &[Atom], open: usize) -> (Vec<Range<usize>>, usize) {
    let close = matching_close(atoms, open);
    let (mut parts, mut start, mut depth, mut angles) = (Vec::new(), open, 0usize, 0usize);
    for i in open + 1..close {
        match &atoms[i] {
            Atom::Open(_) => depth += 1,
            Atom::Close(_) => depth -= 1,
            Atom::Leaf { text, .. } if depth == 0 => match text.as_str() {
                "<" => angles += 1,
                ">" if !matches!(&atoms[i - 1], Atom::Leaf { text, joint: true } if text == "-" || text == "=") =>
                {
                    angles = angles.saturating_sub(1);
                }
                "," if angles == 0 => {
                    parts.push(start..i + 1);
                    start = i;
                }
                _ => {}
            },
            Atom::Leaf { .. } => {}
        }
    }
    parts.push(start..close + 1);
    (parts, close)
}

/// What the description says, read without the macro: its layers, each the kind's name and
/// how many arguments it has, from the body's entries other than `input:` and `loss:`.
fn layers_written(atoms: &[Atom]) -> Vec<(String, usize)> {
    let Some((entries, ..)) = entries(atoms) else {
        return Vec::new();
    };
    let colon = |a: &Atom| a.is(":") && !matches!(a, Atom::Leaf { joint: true, .. });
    let key = |e: &[Atom], k: &str| e.len() > 1 && e[0].is(k) && colon(&e[1]);
    let mut layers = Vec::new();
    for entry in entries {
        let e = &atoms[entry.start + 1..entry.end - 1];
        if e.is_empty() || key(e, "input") || key(e, "loss") || key(e, "budget") {
            continue;
        }
        let kind = if e.len() > 2 && colon(&e[1]) { 2 } else { 0 };
        let args = match e.get(kind + 1) {
            Some(Atom::Open('(')) => {
                let (parts, _) = split(atoms, entry.start + 1 + kind + 1);
                // Written between the separators: a trailing comma leaves an empty part.
                parts.iter().filter(|p| p.len() > 2).count()
            }
            _ => 0,
        };
        layers.push((e[kind].text().to_string(), args));
    }
    layers
}

/// The byte ranges an error may point at: each entry the mutation touched (with the
/// separators on both sides, so that a touched separator gives both of its entries), the
/// header before the body, or what follows the body. A clash of names has two ends: an
/// entry labelled like a touched one counts too, since the clash is reported at the later.
fn regions(atoms: &[Atom], touched: &[usize], at: &[Range<usize>]) -> Vec<Range<usize>> {
    let whole = 0..at.last().map_or(0, |r| r.end);
    let Some((entries, open, close)) = entries(atoms) else {
        return vec![whole];
    };
    let label = |e: &Range<usize>| match &atoms[e.start + 1..e.end - 1] {
        [name, colon, ..] if colon.is(":") => Some(name.text()),
        _ => None,
    };
    let bytes = |r: &Range<usize>| at[r.start].start..at[r.end - 1].end;
    let mut out = Vec::new();
    for &t in touched {
        if t <= open {
            out.push(bytes(&(0..open + 1)));
        }
        if t >= close {
            out.push(bytes(&(close..atoms.len())));
        }
        // A separator belongs to the entries on both of its sides.
        for entry in entries.iter().filter(|e| e.contains(&t)) {
            out.push(bytes(entry));
            let same = |e: &&Range<usize>| label(e).is_some() && label(e) == label(entry);
            out.extend(entries.iter().filter(same).map(bytes));
        }
    }
    out
}

/// What became of one description.
enum Outcome {
    Plan,
    /// Errors, how many of them.
    Errors(usize),
}

/// Runs parse and check on one mutant and asserts the property.
fn judge(mutant: &Mutant) -> Option<Outcome> {
    let (source, at) = render(&mutant.atoms);
    // Unbalanced or unlexable text never reaches a macro: rustc stops first.
    let tokens = TokenStream::from_str(&source).ok()?;
    let result = parse::network(tokens).and_then(|net| match check::network(&net) {
        Ok(plan) => {
            // Each layer written, and each of its arguments: a width, or an option's value.
            // `flatten` only reshapes: it has no layer in the plan.
            let mut written = layers_written(&mutant.atoms);
            written.retain(|(kind, _)| kind != "flatten");
            let planned: Vec<(String, usize)> = plan
                .layers
                .iter()
                .map(|l| {
                    let width =
                        usize::from(matches!(l.kind.width, WidthRule::InOut | WidthRule::Conv));
                    let options = l.options.iter().filter(|o| o.is_some()).count();
                    (l.kind.name.into(), width + options)
                })
                .collect();
            assert_eq!(
                planned, written,
                "the plan's layers differ from those written in\n{source}"
            );
            // Expansion cannot fail either (tried on the small seeds, for time).
            if plan.layers.len() <= 12 {
                let _ = expand::network(&plan);
            }
            Ok(())
        }
        Err(e) => Err(e),
    });
    let errors = match result {
        Ok(()) => return Some(Outcome::Plan),
        Err(errors) => errors,
    };
    let regions = regions(&mutant.atoms, &mutant.touched, &at);
    let spans: Vec<(Range<usize>, String)> = errors
        .into_iter()
        .map(|e| (e.span().byte_range(), e.to_string()))
        .collect();
    let inside = |s: &Range<usize>| {
        s.start < s.end && regions.iter().any(|r| r.start <= s.start && s.end <= r.end)
    };
    assert!(
        spans.iter().any(|(s, _)| inside(s)),
        "no error inside the mutated entry {:?} of\n{source}\nerrors: {spans:?}",
        regions
            .iter()
            .map(|r| &source[r.clone()])
            .collect::<Vec<_>>()
    );
    // One mistake, one error: a change in one place is reported once.
    assert!(
        mutant.places > 1 || spans.len() == 1,
        "mutation {} gave {} errors for\n{source}\nerrors: {spans:?}",
        mutant.kind,
        spans.len()
    );
    Some(Outcome::Errors(spans.len()))
}

fn seeds() -> Vec<String> {
    let mut deep = String::from("struct Deep { input: 32,");
    for i in 0..11 {
        let p = if i % 2 == 0 { "" } else { "p = " };
        deep.push_str(&format!(
            " block{i}: dense(64), relu, dropout({p}{}), batch_norm(momentum = 0.2),",
            (i % 9) as f64 / 10.0
        ));
    }
    deep.push_str(" dense(10), loss: softmax_cross_entropy }");
    vec![
        "pub struct Net { input: 4, dense(8), relu, dropout(0.5), dense(3), loss: mean_squared_error }".into(),
        "/// A documented network.
        #[allow(dead_code)]
        #[cfg_attr(all(), warn(missing_docs))]
        pub(crate) struct Mlp<H, const K: usize> {
            input: 16,
            hidden: dense(H, init = he), relu,
            norm: batch_norm(eps = 1e-5, momentum = 0.1),
            dropout(p = 0.25),
            dense(H -> K), tanh,
            out: dense(K -> 8, init = xavier), sigmoid,
            loss: softmax_cross_entropy,
        }"
        .into(),
        "struct Typed {
            input: typenet::dim::U8,
            first: dense(typenet::dim::Prod<typenet::dim::U4, typenet::dim::U4>),
            dense(16 -> 2048), r#type: dense(2),
            loss: mean_squared_error,
        }"
        .into(),
        "struct Budgeted {
            input: 64,
            budget: 4 KiB for inference at batch 1,
            hidden: dense(128), relu,
            out: dense(10),
            loss: softmax_cross_entropy,
            budget: 48 KiB for training with adam at batch 8,
            budget: 1 MiB for training with nesterov at batch 32
        }"
        .into(),
        deep,
        "struct Conv {
            input: [2, 12, 12],
            conv1: conv2d(4, kernel = 3, padding = 1), relu, max_pool2d(2),
            conv2d(4 -> 6, (3, 1), stride = 1, padding = (1, 0), init = he),
            batch_norm(momentum = 0.2), tanh, dropout(0.25),
            avg_pool2d(kernel = 2, stride = 1, padding = 1),
            flatten,
            dense(10),
            loss: softmax_cross_entropy,
        }"
        .into(),
    ]
}

#[test]
fn every_token_is_understood_or_reported() {
    let mut rng = Rng(14);
    let (mut plans, mut single, mut several, mut unlexed) = (0, 0, 0, 0);
    for seed in seeds() {
        let seed = atoms(&seed).expect("seeds lex");
        let written = layers_written(&seed);
        assert!(matches!(
            judge(&Mutant {
                atoms: seed.clone(),
                touched: vec![],
                kind: 0,
                places: 0
            }),
            Some(Outcome::Plan)
        ));
        assert!(!written.is_empty());
        for _ in 0..1000 {
            match judge(&mutate(&seed, &mut rng)) {
                Some(Outcome::Plan) => plans += 1,
                Some(Outcome::Errors(1)) => single += 1,
                Some(Outcome::Errors(_)) => several += 1,
                None => unlexed += 1,
            }
        }
    }
    println!("{plans} plans, {single} with one error, {several} with more, {unlexed} unlexed");
    assert!(unlexed < 100, "{unlexed} mutants did not lex");
    assert!(
        plans > 100 && single > 2000,
        "{plans} plans, {single} single errors"
    );
}
