//! Names that errors carry without a heap, and the nearest of several names.

use core::fmt;

/// A name held in a fixed buffer, so that an [`Error`](crate::Error) can say which tensor
/// or which checkpoint value it is about without a heap: `hidden.weight`, or a name read
/// from a file. Names longer than [`Name::CAPACITY`] bytes keep their beginning and print
/// with `…` after it.
///
/// ```
/// use typenet_core::io::Name;
/// let name = Name::new("hidden.weight");
/// assert_eq!(name.as_str(), "hidden.weight");
/// assert_eq!(name, "hidden.weight");
/// let long = Name::new(&"x".repeat(100));
/// assert_eq!(long.to_string(), format!("{}…", "x".repeat(Name::CAPACITY)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name {
    bytes: [u8; Name::CAPACITY],
    len: u8,
    truncated: bool,
}

impl Name {
    /// The most bytes a name keeps.
    pub const CAPACITY: usize = 48;

    /// The empty name.
    pub const EMPTY: Name = Name {
        bytes: [0; Name::CAPACITY],
        len: 0,
        truncated: false,
    };

    /// `text`, cut at a character boundary if it is longer than [`CAPACITY`](Name::CAPACITY).
    pub fn new(text: &str) -> Self {
        let mut name = Name::EMPTY;
        name.push(text);
        name
    }

    /// The parts one after the other: `["hidden", ".", "weight"]` is `hidden.weight`.
    pub fn from_parts(parts: &[&str]) -> Self {
        let mut name = Name::EMPTY;
        for part in parts {
            name.push(part);
        }
        name
    }

    /// Appends `text`, as much of it as fits.
    pub(crate) fn push(&mut self, text: &str) {
        for c in text.chars() {
            self.push_char(c);
        }
    }

    /// Appends one character if it fits; the name is marked cut otherwise.
    pub(crate) fn push_char(&mut self, c: char) {
        if self.truncated {
            return;
        }
        let mut utf8 = [0; 4];
        let encoded = c.encode_utf8(&mut utf8).as_bytes();
        let len = usize::from(self.len);
        match self.bytes.get_mut(len..len + encoded.len()) {
            Some(slot) => {
                slot.copy_from_slice(encoded);
                // At most CAPACITY (64), so it fits in a u8.
                self.len = (len + encoded.len()) as u8;
            }
            None => self.truncated = true,
        }
    }

    /// The name (its beginning, if it was cut).
    pub fn as_str(&self) -> &str {
        // Only whole characters are ever pushed, so the bytes are UTF-8.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// Whether the name was longer than [`CAPACITY`](Name::CAPACITY) and was cut.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        !self.truncated && self.as_str() == *other
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        !self.truncated && self.as_str() == other
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// The Levenshtein distance between `a` and `b`, by bytes, on their first
/// [`Name::CAPACITY`] bytes (names are ASCII identifiers and dots, so bytes are characters).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    const N: usize = Name::CAPACITY;
    let a = &a.as_bytes()[..a.len().min(N)];
    let b = &b.as_bytes()[..b.len().min(N)];
    // One row of the table: the distances from a's prefix to each prefix of b.
    let mut row = [0usize; N + 1];
    for (j, slot) in row.iter_mut().enumerate().take(b.len() + 1) {
        *slot = j;
    }
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The nearest of several candidate names to one target, found without a heap: offer each
/// candidate, then read [`best`](Nearest::best).
pub(crate) struct Nearest<'t> {
    target: &'t str,
    best: Option<(usize, Name)>,
}

impl<'t> Nearest<'t> {
    pub(crate) fn new(target: &'t str) -> Self {
        Nearest { target, best: None }
    }

    /// Considers `candidate`; the first of equally near names wins.
    pub(crate) fn offer(&mut self, candidate: Name) {
        let d = edit_distance(self.target, candidate.as_str());
        if self.best.is_none_or(|(best, _)| d < best) {
            self.best = Some((d, candidate));
        }
    }

    /// The nearest name offered, if one was near enough to be a likely slip: at most half
    /// of the longer name's characters changed.
    pub(crate) fn best(&self) -> Option<Name> {
        let (d, name) = self.best?;
        let longer = self.target.len().max(name.as_str().len());
        (2 * d <= longer).then_some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn edit_distances_by_hand() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("hidden.wieght", "hidden.weight"), 2);
        assert_eq!(edit_distance("norm.running_var", "norm.running_mean"), 3);
    }

    #[test]
    fn the_nearest_name_wins_and_ties_keep_the_first() {
        let mut nearest = Nearest::new("hiden.weight");
        assert_eq!(nearest.best(), None);
        for name in ["out.weight", "hidden.weight", "hidden.bias", "hidden.weigh"] {
            nearest.offer(Name::new(name));
        }
        assert_eq!(nearest.best(), Some(Name::new("hidden.weight")));
        let mut far = Nearest::new("momentum");
        far.offer(Name::new("out.bias"));
        assert_eq!(far.best(), None);
    }

    #[test]
    fn long_names_are_cut_at_a_character() {
        let text = "é".repeat(30); // 60 bytes
        let name = Name::new(&text);
        assert!(name.is_truncated());
        assert_eq!(name.as_str(), "é".repeat(24));
        assert_ne!(name, text.as_str());
        assert_eq!(
            Name::from_parts(&["norm", ".", "running_var"]).to_string(),
            "norm.running_var"
        );
        assert_eq!(std::format!("{:?}", Name::new("a.b")), "\"a.b\"");
    }
}
