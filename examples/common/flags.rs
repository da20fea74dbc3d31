//! Command-line flags: `--name value` pairs and switches that stand alone.

use std::fmt::Display;
use std::str::FromStr;

/// The flags the program was given, each one of those it knows.
pub struct Flags {
    /// Each flag given with its value, in order: the last one given wins.
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
}

impl Flags {
    /// Reads the program's arguments: each of `valued` takes the next argument as its
    /// value, each of `switches` takes none. Any other argument is an error that lists the
    /// known flags.
    pub fn parse(valued: &[&'static str], switches: &[&'static str]) -> Result<Self, String> {
        let mut flags = Flags {
            values: Vec::new(),
            switches: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if let Some(&switch) = switches.iter().find(|&&s| s == arg) {
                flags.switches.push(switch);
            } else if let Some(&flag) = valued.iter().find(|&&v| v == arg) {
                let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
                flags.values.push((flag, value));
            } else {
                let known: Vec<&str> = valued.iter().chain(switches).copied().collect();
                return Err(format!(
                    "unknown flag {arg}; the flags are {}",
                    listed(&known)
                ));
            }
        }
        Ok(flags)
    }

    /// The value of `flag`, or `default` if it was not given.
    pub fn value<T: FromStr>(&self, flag: &str, default: T) -> Result<T, String>
    where
        T::Err: Display,
    {
        match self.given(flag) {
            Some(value) => value.parse().map_err(|e| format!("{flag} {value}: {e}")),
            None => Ok(default),
        }
    }

    /// The value of `flag`, which must be one of `choices`; the first if it was not given.
    pub fn choice(&self, flag: &str, choices: &[&'static str]) -> Result<&'static str, String> {
        match self.given(flag) {
            Some(value) => choices
                .iter()
                .find(|&&c| c == value)
                .copied()
                .ok_or_else(|| format!("{flag} {value}: the choices are {}", listed(choices))),
            None => Ok(choices[0]),
        }
    }

    /// Whether the switch `flag` was given.
    pub fn switch(&self, flag: &str) -> bool {
        self.switches.contains(&flag)
    }

    fn given(&self, flag: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(name, _)| *name == flag)
            .map(|(_, value)| value.as_str())
    }
}

/// "a", "a and b", "a, b and c".
fn listed(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
