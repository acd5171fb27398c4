//! "Did you mean …?": the one place a name nobody knows is matched against the names that
//! exist (configuration keys, built-in rules, environments, roles, Gherkin keywords, the
//! processes a server runs, the phrases of the step library), by one measure of likeness.

/// How alike two names are, from 0 (nothing in common) to 1 (the same): one less the edits
/// that turn one into the other (a letter added, dropped, changed, or two neighbours swapped,
/// the usual typos) over the longer one's length, so a long phrase tolerates more edits than a
/// short name.
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_damerau_levenshtein(a, b)
}

/// A name cut short (`lorem` for `lorem-ipsum`) is a likely misspelling whatever the edits, once
/// it is this long.
const SHORTEST_CUT: usize = 4;

/// How alike an unknown name must be to a known one for it to be offered as what was meant:
/// one typo in a four-letter host name (`wbe1`), a few in a phrase.
pub const LIKELY_MISSPELLING: f64 = 0.7;

/// The known name closest to `unknown`, if one is close enough to be a likely misspelling.
pub fn suggest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    closest(unknown, known, |name| name)
}

/// The candidate whose name (`name_of`) is closest to `unknown`, letter case aside, if one is
/// close enough to be a likely misspelling.
pub fn closest<T>(
    unknown: &str,
    candidates: impl IntoIterator<Item = T>,
    name_of: impl Fn(&T) -> &str,
) -> Option<T> {
    let unknown = unknown.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let name = name_of(&candidate).to_lowercase();
            let mut likeness = similarity(&unknown, &name);
            if unknown.chars().count() >= SHORTEST_CUT && name.starts_with(&unknown) {
                likeness = likeness.max(LIKELY_MISSPELLING);
            }
            (likeness, candidate)
        })
        .filter(|(similarity, _)| *similarity >= LIKELY_MISSPELLING)
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn a_misspelling_finds_its_name_and_a_stranger_finds_none() {
        let known = ["base_url", "read_only"];
        assert_eq!(suggest("read_onyl", known), Some("read_only"));
        assert_eq!(suggest("Base_Ur", known), Some("base_url"));
        assert_eq!(suggest("timeout", known), None);
        assert_eq!(suggest("Whenn", ["Given", "When", "Then"]), Some("When"));
        assert_eq!(suggest("wbe1", ["web1", "db1"]), Some("web1"));
        assert_eq!(suggest("prod", ["staging", "test"]), None);
        assert_eq!(
            suggest("lorem", ["keyboard-mash", "lorem-ipsum"]),
            Some("lorem-ipsum")
        );
        assert_eq!(suggest("web", ["web1", "db1"]), Some("web1"));
    }
}
