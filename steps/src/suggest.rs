//! "Did you mean …?": the one place a name nobody knows is matched against the names that
//! exist (configuration keys, built-in rules, environments, roles, Gherkin keywords, the
//! processes a server runs).

/// How alike two names are, from 0 (nothing in common) to 1 (the same), weighing a shared
/// beginning most, as misspellings keep it.
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

/// The known name closest to `unknown`, if one is close enough to be a likely misspelling.
pub fn suggest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let unknown = unknown.to_lowercase();
    known
        .into_iter()
        .map(|name| (similarity(&unknown, &name.to_lowercase()), name))
        .filter(|(similarity, _)| *similarity > 0.8)
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, name)| name)
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
    }
}
